#include "unit_cgroup_path.h"

#include "cgroup_resolver.h"

#include <systemd/sd-bus.h>

namespace kw {

namespace {

// systemd's Slice property of the unit, loading it if needed; "" when the
// system bus or systemd does not answer.
std::string unit_slice(const std::string &unit)
{
	sd_bus *bus = nullptr;
	if (sd_bus_open_system(&bus) < 0)
		return "";
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = nullptr;
	std::string slice;
	const char *object = nullptr;
	if (sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "LoadUnit", &err, &reply, "s", unit.c_str()) >= 0 &&
	    sd_bus_message_read(reply, "o", &object) >= 0) {
		char *value = nullptr;
		if (sd_bus_get_property_string(bus, "org.freedesktop.systemd1", object, "org.freedesktop.systemd1.Unit",
					       "Slice", &err, &value) >= 0 &&
		    value) {
			slice = value;
			free(value);
		}
	}
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return slice;
}

} // namespace

std::string slice_cgroup_path(const std::string &slice)
{
	if (slice == "-.slice" || !slice.ends_with(".slice"))
		return "";
	std::string stem = slice.substr(0, slice.size() - 6), path;
	for (size_t dash = stem.find('-'); dash != std::string::npos; dash = stem.find('-', dash + 1))
		path += "/" + stem.substr(0, dash) + ".slice";
	return path + "/" + slice;
}

std::string unit_cgroup_path(const std::string &unit, const std::string &root)
{
	if (auto id = unit_cgroup_id(root, unit)) {
		std::string path = CgroupResolver(root).path(*id);
		if (!path.empty())
			return path;
	}
	std::string slice = unit_slice(unit);
	if (slice.empty())
		slice = "system.slice";
	return slice_cgroup_path(slice) + "/" + unit;
}

} // namespace kw
