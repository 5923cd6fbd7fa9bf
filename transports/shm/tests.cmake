# shm:// tests beyond the conformance suite (tests/conformance_test.cpp runs every pattern over
# shm:// in one process):
#  shm_test  names, segment validation, the packet parser, and hostile peers speaking the
#            handshake by hand (fake connecters with bad segments, fake binders)
set(shm_dir ${CMAKE_CURRENT_LIST_DIR})

shoal_add_test(shm_test ${shm_dir}/shm_unit_test.cpp ${shm_dir}/shm_hostile_test.cpp)
target_include_directories(shm_test PRIVATE ${shm_dir} ${PROJECT_SOURCE_DIR}/tests)
