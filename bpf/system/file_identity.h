// A file as the kernel identifies it: superblock device and inode number.
// Policies name files by path; compilers turn the path into this, so rules
// follow the object through symlinks, hardlinks and bind mounts.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace kw {

// dev in the kernel's sb->s_dev encoding (major << 20 | minor).
struct FileId {
	uint64_t dev = 0, ino = 0;
	auto operator<=>(const FileId &) const = default;
};

// st_dev (glibc's encoding) -> the kernel's.
uint64_t kernel_dev(uint64_t user_dev);
// The kernel's encoding -> "major:minor".
std::string dev_string(uint64_t kernel_dev);
// stat(2), following symlinks as open does; nullopt when it does not exist.
std::optional<FileId> stat_file_id(const std::string &path);

} // namespace kw
