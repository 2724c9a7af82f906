// A file a command writes its result to at the end of a long run (a learned
// policy after ten minutes of learning). It is checked when the command
// starts, so that a path that cannot be written fails before the run, not
// after it; and the result replaces the file in one rename, so that a failed
// write leaves the file as it was. "-" or "" is standard output.
#pragma once

#include <string>

namespace kw {

class OutputFile {
public:
	explicit OutputFile(std::string path);
	~OutputFile();
	OutputFile(OutputFile &&other) noexcept;
	OutputFile &operator=(OutputFile &&) = delete;
	OutputFile(const OutputFile &) = delete;
	OutputFile &operator=(const OutputFile &) = delete;

	// Writes text and renames it over the path; once.
	void commit(const std::string &text);
	// "stdout" or the path, for messages.
	std::string describe() const;

private:
	std::string path_;
	std::string target_; // the file renamed over: path_ with its symlinks resolved
	std::string temp_;   // empty for stdout, a device or a pipe, and once committed
	int fd_ = -1;
};

} // namespace kw
