# Interoperability of tcp:// and ipc:// (the ZMTP engine in transports/zmtp) with the real
# libzmq, when it is installed (cppzmq's zmq.hpp with it).
find_path(CPPZMQ_INCLUDE_DIR zmq.hpp)
if(TARGET shoal::libzmq AND CPPZMQ_INCLUDE_DIR)
  shoal_add_test(zmtp_interop_test ${PROJECT_SOURCE_DIR}/transports/zmtp/interop_test.cpp)
  target_include_directories(zmtp_interop_test PRIVATE ${CPPZMQ_INCLUDE_DIR})
  target_link_libraries(zmtp_interop_test PRIVATE shoal::libzmq)
endif()
