#include "file_identity.h"

#include "kw_kernel_consts.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace kw {

uint64_t kernel_dev(uint64_t d) { return (uint64_t(major(d)) << KW_MINORBITS) | minor(d); }

std::string dev_string(uint64_t d)
{
	return fmt::format("{}:{}", d >> KW_MINORBITS, d & ((1u << KW_MINORBITS) - 1));
}

std::optional<FileId> stat_file_id(const std::string &path)
{
	struct stat st{};
	if (::stat(path.c_str(), &st))
		return std::nullopt;
	return FileId{kernel_dev(st.st_dev), st.st_ino};
}

} // namespace kw
