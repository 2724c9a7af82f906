// frtp learn: when the names seen in a directory stand for the directory
// (docs/learn.md, "Collapsing files into trees"). Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kw::frtp {

// The depth of an absolute path: "/" 0, "/etc" 1, "/etc/app" 2.
size_t path_depth(std::string_view path);

// Sibling names that will be others next time: at least two, and either
// numbered alike (job.1, job.2: equal once digits are set aside), random
// alike (tmp.a8FkQz, tmp.Zx81qP: one length, one prefix and suffix, four or
// more differing letters or digits between), or each random or temporary
// on its own (hex ids and UUIDs, mixed-case noise, *.tmp, *~, .#*, tmp.*...).
bool volatile_names(const std::vector<std::string> &names);

// One name that will be another next time: random, temporary, or numbered
// (a digit in it). Only in a data directory is one name enough.
bool volatile_name(std::string_view name);

// A directory that holds a program's own data: /var/lib/X, /var/cache/X,
// /var/log/X, /var/spool/X, /var/tmp/X, /tmp/X, /run/X, /dev/shm/X, /srv/X,
// or below one of them (never the base itself).
bool data_directory(std::string_view dir);

} // namespace kw::frtp
