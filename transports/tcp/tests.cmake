# Interoperability of tcp:// and ipc:// (the ZMTP engine in transports/zmtp) with the real
# libzmq, when it is installed (cppzmq's zmq.hpp with it).
find_path(CPPZMQ_INCLUDE_DIR zmq.hpp)
if(TARGET shoal::libzmq AND CPPZMQ_INCLUDE_DIR)
  shoal_add_test(zmtp_interop_test ${PROJECT_SOURCE_DIR}/transports/zmtp/interop_test.cpp)
  target_include_directories(zmtp_interop_test PRIVATE ${CPPZMQ_INCLUDE_DIR})
  target_link_libraries(zmtp_interop_test PRIVATE shoal::libzmq)
endif()

# pyzmq against shoal: a pytest suite (run by SHOAL_PYTHON, Debian's python3 with python3-zmq
# and python3-pytest) driving zmtp_interop_peer, a shoal socket scripted over stdin.
add_executable(zmtp_interop_peer ${PROJECT_SOURCE_DIR}/transports/zmtp/interop_peer.cpp)
target_link_libraries(zmtp_interop_peer PRIVATE shoal shoal_warnings)
add_test(NAME pyzmq_interop
         COMMAND ${SHOAL_PYTHON} -m pytest -q -p no:cacheprovider
                 ${PROJECT_SOURCE_DIR}/transports/zmtp/pyzmq_interop_test.py)
set_tests_properties(pyzmq_interop PROPERTIES
  ENVIRONMENT "SHOAL_INTEROP_PEER=$<TARGET_FILE:zmtp_interop_peer>;PYTHONDONTWRITEBYTECODE=1"
  TIMEOUT 300 LABELS pyzmq_interop)
