# inproc's own tests (the shared contract is tests/conformance_test.cpp).
shoal_add_test(inproc_test ${CMAKE_CURRENT_LIST_DIR}/inproc_test.cpp)
target_include_directories(inproc_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)
