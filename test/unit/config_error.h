// Runs f and returns the ConfigError it throws, so a test can check where
// the error points (file, line, column) and its hint.
#pragma once

#include "errors.h"

#include <functional>
#include <gtest/gtest.h>

inline kw::ConfigError config_error(const std::function<void()> &f)
{
	try {
		f();
	} catch (const kw::ConfigError &e) {
		return e;
	}
	ADD_FAILURE() << "no ConfigError thrown";
	return kw::ConfigError("", 0, 0, "");
}
