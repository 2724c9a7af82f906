#include "service_status.h"

#include "audit_report.h"

#include <algorithm>
#include <fmt/format.h>
#include <regex>

namespace kw::audit {

std::string pin_name_of(const FieldLookup &field, const std::string &tool)
{
	std::string p = field("PIN_NAME");
	return p.empty() ? tool : p;
}

std::vector<std::string> instances_of(const std::string &tool, const std::vector<std::string> &pin_dirs)
{
	std::vector<std::string> out;
	for (auto &d : pin_dirs)
		if (d.size() > tool.size() + 1 && d.starts_with(tool + "-"))
			out.push_back(d);
	return out;
}

ServiceStatus::ServiceStatus(EnforcerIds ids, std::string pin_name) : ids_(std::move(ids)), pin_name_(std::move(pin_name)) {}

std::string ServiceStatus::instance() const
{
	return pin_name_ == ids_.tool ? std::string() : pin_name_.substr(ids_.tool.size() + 1);
}

void ServiceStatus::add(const FieldLookup &field, int64_t usec)
{
	std::string id = field("MESSAGE_ID");
	if (id == ids_.policy_id || id == ids_.refused_id) {
		std::string ev = field("POLICY_EVENT");
		if (ev == "refused") {
			refused_++;
			last_usec_ = usec;
			return; // the policy in force did not change
		}
		if (ev == "unclean-end") {
			// Written by the next daemon at its start: the previous one was
			// killed, crashed or frozen. Its load record follows.
			unclean_usec_ = usec;
			return;
		}
		last_event_ = ev;
		last_usec_ = usec;
		if (!field("POLICY_SHA256").empty()) {
			sha_ = field("POLICY_SHA256");
			dropins_ = field("POLICY_DROPINS");
		}
		if (!field("RULES_FILE").empty())
			rules_file_ = field("RULES_FILE");
		if (ev != "detach") { // `<tool> detach` is not the daemon
			unit_ = field("_SYSTEMD_UNIT");
			pid_ = std::atoi(field("_PID").c_str());
		}
		if (ev == "load") {
			load_usec_ = policy_usec_ = usec;
			decisions_ = records_ = tamper_ = lost_journal_ = refused_ = 0;
			requester_.clear();
		} else if (ev == "reload")
			policy_usec_ = usec;
		else if (ev == "stop" || ev == "detach")
			requester_ = fmt::format("{} (pid {}, uid {}{})", field("REQUESTER_EXE"), field("REQUESTER_PID"),
						 field("REQUESTER_UID"),
						 field("REQUESTER_UNIT").empty() ? "" : ", " + field("REQUESTER_UNIT"));
		return;
	}
	if (std::find(ids_.decision_ids.begin(), ids_.decision_ids.end(), id) != ids_.decision_ids.end() ||
	    id == kUnrecordedMessageId) {
		std::string rep = field("REPEAT_COUNT");
		decisions_ += rep.empty() ? 1 : std::strtoull(rep.c_str(), nullptr, 10);
		records_++;
		return;
	}
	if (id == kTamperMessageId) {
		std::string rep = field("REPEAT_COUNT");
		tamper_ += rep.empty() ? 1 : std::strtoull(rep.c_str(), nullptr, 10);
		return;
	}
	if (id.empty()) {
		// LostCounter: "N <what> lost (ring buffer full; T in total)"
		static const std::regex lost(R"(lost \(ring buffer full; ([0-9]+) in total\))");
		std::smatch m;
		std::string msg = field("MESSAGE");
		if (std::regex_search(msg, m, lost))
			lost_journal_ = std::max<uint64_t>(lost_journal_, std::stoull(m[1]));
	}
}

uint64_t ServiceStatus::lost() const
{
	if (pins_ && pins_->lost)
		return std::max(*pins_->lost, lost_journal_);
	return lost_journal_;
}

std::string ServiceStatus::state() const
{
	if (!pins_) // collected journals: only what the records say
		return last_event_.empty() ? "no records" : "last event: " + last_event_;
	bool pinned = pins_->present && pins_->links > 0;
	if (!pins_->readable) {
		if (alive_ && *alive_)
			return last_event_ == "stop" ? "stopping" : "enforcing";
		return last_event_.empty() || last_event_ == "stop" || last_event_ == "detach" ? "not running"
											      : "unknown (pins not readable)";
	}
	if (pinned)
		return alive_ && *alive_ ? "enforcing" : "enforcing (daemon down)";
	if (alive_ && *alive_)
		return "running, not enforcing";
	if (last_event_ == "stop")
		return "stopped";
	if (last_event_ == "detach")
		return "detached";
	return "not running";
}

std::string ServiceStatus::text() const
{
	std::string s = instance().empty() ? fmt::format("{}: {}\n", ids_.tool, state())
					   : fmt::format("{} --instance {}: {}\n", ids_.tool, instance(), state());
	if (last_event_.empty() && !pins_) 
		return s;
	if (!last_event_.empty()) {
		s += fmt::format("  policy:     {}{} sha256 {}\n", rules_file_.empty() ? "-" : rules_file_,
				 dropins_.empty() ? "" : " + drop-ins " + dropins_, sha_);
		if (!file_sha_.empty() && file_sha_ != sha_)
			s += fmt::format("              the files on disk now have sha256 {}: edited, not reloaded "
					 "({})\n",
					 file_sha_,
					 instance().empty() ? "systemctl reload kwarden-" + ids_.tool
							    : fmt::format("reload pid {}: its unit's reload, or SIGHUP", pid_));
		s += fmt::format("  since:      {} (load){}\n", local_time(load_usec_),
				 policy_usec_ != load_usec_ ? fmt::format(", policy since {} (reload)", local_time(policy_usec_))
							    : "");
		s += fmt::format("  last event: {} at {}{}\n", last_event_, local_time(last_usec_),
				 requester_.empty() ? "" : " by " + requester_);
		if (unclean_usec_ > load_usec_ - 5000000 && unclean_usec_)
			s += fmt::format("  unclean end: the daemon before this load ended without a stop request ({})\n",
					 local_time(unclean_usec_));
		s += fmt::format("  daemon:     pid {}{}{}\n", pid_, unit_.empty() ? "" : " (" + unit_ + ")",
				 !alive_ ? "" : *alive_ ? ", running" : ", not running");
		s += fmt::format("  decisions:  {} since the load ({} records; the rest storm repeats); tamper attempts {}; "
				 "refused reloads {}\n",
				 decisions_, records_, tamper_, refused_);
	}
	s += fmt::format("  lost:       {} events (ring buffer full)\n", lost());
	if (pins_) {
		if (pins_->present)
			s += fmt::format("  pins:       /sys/fs/bpf/kwarden/{}: {} links, guard {}{}\n", pins_->name,
					 pins_->links, pins_->guarded ? "on" : "off",
					 pins_->loaded ? (*pins_->loaded ? ", policy loaded" : ", no policy loaded") : "");
		else if (pins_->readable)
			s += "  pins:       none\n";
		if (!pins_->note.empty())
			s += "  note:       " + pins_->note + "\n";
	}
	return s;
}

nlohmann::ordered_json ServiceStatus::json() const
{
	nlohmann::ordered_json j;
	j["tool"] = ids_.tool;
	if (!instance().empty())
		j["instance"] = instance();
	j["state"] = state();
	j["rules_file"] = rules_file_;
	j["policy_dropins"] = dropins_;
	j["policy_sha256"] = sha_;
	if (!file_sha_.empty())
		j["file_sha256"] = file_sha_;
	j["loaded_at"] = iso_time(load_usec_);
	j["policy_since"] = iso_time(policy_usec_);
	j["last_event"] = last_event_;
	j["last_event_at"] = iso_time(last_usec_);
	if (!requester_.empty())
		j["stopped_by"] = requester_;
	if (unclean_usec_)
		j["last_unclean_end_at"] = iso_time(unclean_usec_);
	j["pid"] = pid_;
	j["unit"] = unit_;
	if (alive_)
		j["daemon_running"] = *alive_;
	j["decisions"] = decisions_;
	j["decision_records"] = records_;
	j["tamper_attempts"] = tamper_;
	j["refused_reloads"] = refused_;
	j["lost"] = lost();
	if (pins_) {
		j["pins"] = {{"present", pins_->present}, {"links", pins_->links}, {"guard", pins_->guarded}};
		if (pins_->loaded)
			j["pins"]["loaded"] = *pins_->loaded;
		if (!pins_->note.empty())
			j["pins"]["note"] = pins_->note;
	}
	return j;
}

} // namespace kw::audit
