kw_tool(frtp policy frtp policy/frtp_policy.cpp policy/frtp_record.cpp)
# VM test helper (not installed): io_uring openat and raw syscalls, static so
# it runs in the guest whatever its libc.
add_executable(frtp_helper test/vm/helpers/frtp_helper.c)
target_compile_options(frtp_helper PRIVATE -Wall -Wextra -Werror)
target_link_options(frtp_helper PRIVATE -static)
set_target_properties(frtp_helper PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/test-helpers)
