// Text in a learned policy (frtp learn, net-filter learn): values and
// comments that a YAML reader reads back as they were written.
#pragma once

#include <string>
#include <string_view>

namespace kw {

// A scalar as YAML reads it back unchanged: plain when it holds nothing a
// flow collection or a comment could take for syntax, else double-quoted.
std::string yaml_scalar(const std::string &s);

// Text for a comment: a line end there would end the comment, and YAML is
// UTF-8 throughout, comments included.
std::string comment_text(std::string_view s);

} // namespace kw
