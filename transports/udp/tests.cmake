# udp:// tests.
#  udp_test      the wire format's parser, endpoint syntax and resolution, the fault injector,
#                socket types the transport refuses (no network traffic)
#  udp_net_test  end to end inside a private network namespace it creates itself (netns.hpp;
#                root needed, refuses to run elsewhere): loss/reorder/duplicates, 64 KiB
#                messages, multipart, garbage, two publishers, late join, a paused subscriber,
#                and three subscriber processes (udp_peer) receiving 1 M messages (100 k under
#                sanitizers)
set(udp_dir ${CMAKE_CURRENT_LIST_DIR})

shoal_add_test(udp_test ${udp_dir}/udp_unit_test.cpp)
target_include_directories(udp_test PRIVATE ${udp_dir} ${PROJECT_SOURCE_DIR}/tests)

add_executable(udp_peer ${udp_dir}/udp_peer.cpp)
target_link_libraries(udp_peer PRIVATE shoal shoal_warnings Threads::Threads)

add_executable(udp_net_test ${udp_dir}/udp_net_test.cpp)
target_link_libraries(udp_net_test PRIVATE shoal shoal_internal shoal_warnings GTest::gtest Threads::Threads)
target_include_directories(udp_net_test PRIVATE ${udp_dir} ${PROJECT_SOURCE_DIR}/tests)
target_compile_definitions(udp_net_test PRIVATE UDP_PEER="$<TARGET_FILE:udp_peer>")
add_dependencies(udp_net_test udp_peer)
gtest_discover_tests(udp_net_test DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT 300 LABELS "udp_net_test")
