# shm:// tests beyond the conformance suite (tests/conformance_test.cpp runs every pattern over
# shm:// in one process):
#  shm_test          names, segment validation, the packet parser, and hostile peers speaking the
#                    handshake by hand (fake connecters with bad segments, fake binders)
#  shm_process_test  real separate processes: shm_peer (below) is forked and exec'd as the other
#                    side: SIGKILL mid-stream, restarts, start orders, clean-up, 10 M messages,
#                    idle CPU, segment permissions
#  monitor_test      (tests/CMakeLists.txt) gets shm_monitor_test.cpp: the monitor events of shm://
set(shm_dir ${CMAKE_CURRENT_LIST_DIR})

shoal_add_test(shm_test ${shm_dir}/shm_unit_test.cpp ${shm_dir}/shm_hostile_test.cpp)
target_include_directories(shm_test PRIVATE ${shm_dir} ${PROJECT_SOURCE_DIR}/tests)
target_compile_definitions(shm_test PRIVATE SHM_FUZZ_SEEDS="${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/fuzz_segment")

# The other process of shm_process_test (built only with the tests).
add_executable(shm_peer ${shm_dir}/shm_peer.cpp)
target_link_libraries(shm_peer PRIVATE shoal shoal_warnings Threads::Threads)
target_include_directories(shm_peer PRIVATE ${shm_dir})

shoal_add_test(shm_process_test ${shm_dir}/shm_process_test.cpp)
target_include_directories(shm_process_test PRIVATE ${shm_dir} ${PROJECT_SOURCE_DIR}/tests)
target_compile_definitions(shm_process_test PRIVATE SHM_PEER="$<TARGET_FILE:shm_peer>")
add_dependencies(shm_process_test shm_peer)

target_sources(monitor_test PRIVATE ${shm_dir}/shm_monitor_test.cpp)
target_include_directories(monitor_test PRIVATE ${shm_dir} ${PROJECT_SOURCE_DIR}/tests)
target_compile_definitions(monitor_test PRIVATE SHM_PEER="$<TARGET_FILE:shm_peer>")
add_dependencies(monitor_test shm_peer)
