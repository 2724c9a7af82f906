#include "net_filter_maps.h"

#include "errors.h"
#include "kw_types.h"
#include "map_batch.h"

#include <algorithm>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace kw::nf {

namespace {

size_t ncpus() { return size_t(libbpf_num_possible_cpus()); }

std::vector<uint32_t> slots(uint32_t gen, uint32_t n)
{
	std::vector<uint32_t> v(n);
	for (uint32_t i = 0; i < n; i++)
		v[i] = NF_RULE_SLOT(gen, i);
	return v;
}

// A generation's rules as nf_rules holds them.
std::vector<nf_rule_info> read_rules(const Maps &m, uint32_t gen, nf_gen_info &info)
{
	check_bpf(bpf_map_lookup_elem(m.gens, &gen, &info), "read nf_gens");
	uint32_t n = std::min<uint32_t>(info.nrules, NF_MAX_RULES);
	auto raw = read_array(m.rules, NF_RULE_SLOT(gen, 0), n, sizeof(nf_rule_info), "nf_rules");
	std::vector<nf_rule_info> v(n);
	std::memcpy(v.data(), raw.data(), raw.size());
	return v;
}

} // namespace

uint32_t read_live(int fd)
{
	uint32_t zero = 0;
	kw_live l{};
	check_bpf(bpf_map_lookup_elem(fd, &zero, &l), "read kw_live");
	return l.gen & 1;
}

nf_counter sum(const std::vector<nf_counter> &v)
{
	nf_counter s{};
	for (auto &c : v) {
		s.packets += c.packets;
		s.bytes += c.bytes;
	}
	return s;
}

GenerationState read_generation(const Maps &m, uint32_t gen, bool with_counters)
{
	GenerationState g;
	g.rules = read_rules(m, gen, g.info);
	auto n = uint32_t(g.rules.size());
	g.names.resize(n);
	// The names of both generations, in one batch read, sorted out.
	auto names = read_all(m.names, sizeof(uint32_t), sizeof(nf_rule_name), "nf_names");
	for (size_t i = 0; i < names.count; i++) {
		uint32_t slot;
		nf_rule_name rn;
		std::memcpy(&slot, names.key(i), sizeof(slot));
		std::memcpy(&rn, names.value(i), sizeof(rn));
		if (slot >= NF_RULE_SLOT(gen, 0) && slot < NF_RULE_SLOT(gen, n) && rn.name[0])
			g.names[slot - NF_RULE_SLOT(gen, 0)] = std::string(rn.name, strnlen(rn.name, NF_RULE_NAME));
	}
	for (uint32_t i = 0; i < n; i++)
		if (g.names[i].empty())
			g.names[i] = fmt::format("rule-{}", i + 1);
	if (!with_counters)
		return g;
	g.counters.assign(n, std::vector<nf_counter>(ncpus()));
	std::unordered_map<uint32_t, std::vector<uint32_t>> by_counter;
	for (uint32_t i = 0; i < n; i++)
		by_counter[g.rules[i].counter].push_back(i);
	auto counters = read_all(m.counters, sizeof(uint32_t), sizeof(nf_counter) * ncpus(), "nf_rule_counters");
	for (size_t i = 0; i < counters.count; i++) {
		uint32_t id;
		std::memcpy(&id, counters.key(i), sizeof(id));
		if (auto it = by_counter.find(id); it != by_counter.end())
			for (uint32_t r : it->second)
				std::memcpy(g.counters[r].data(), counters.value(i), counters.value_size);
	}
	for (uint32_t d = 0; d < NF_DIRS; d++) {
		uint32_t slot = NF_DEFAULT_SLOT(gen, d);
		std::vector<nf_counter> v(ncpus());
		check_bpf(bpf_map_lookup_elem(m.defaults, &slot, v.data()), "read nf_default_counters");
		g.defaults.push_back(std::move(v));
	}
	return g;
}

void retire_rules(const Maps &m, uint32_t gen)
{
	nf_gen_info info{}, other_info{};
	auto doomed = read_rules(m, gen, info);
	auto kept = read_rules(m, gen ^ 1, other_info);
	auto keys = slots(gen, uint32_t(doomed.size()));
	delete_all(m.names, keys.data(), sizeof(uint32_t), uint32_t(keys.size()), "nf_names");
	std::unordered_set<uint32_t> shared;
	for (auto &r : kept)
		shared.insert(r.counter);
	std::vector<uint32_t> freed;
	for (auto &r : doomed)
		if (!shared.count(r.counter))
			freed.push_back(r.counter);
	delete_all(m.counters, freed.data(), sizeof(uint32_t), uint32_t(freed.size()), "nf_rule_counters");
	// Retired once: the next write of this generation finds nothing to free.
	info.nrules = 0;
	check_bpf(bpf_map_update_elem(m.gens, &gen, &info, BPF_ANY), "write nf_gens");
}

void write_generation(const Maps &m, const CompiledPolicy &c, uint32_t gen)
{
	// Whatever this generation held before is no rule's any more.
	retire_rules(m, gen);
	auto live = read_generation(m, gen ^ 1, false);
	std::unordered_map<std::string, uint32_t> carried;
	std::unordered_set<uint32_t> used;
	for (size_t i = 0; i < live.rules.size(); i++) {
		carried.emplace(live.names[i], live.rules[i].counter);
		used.insert(live.rules[i].counter);
	}
	auto n = uint32_t(c.rules.size());
	std::vector<nf_rule_info> rules = c.rules;
	std::vector<uint32_t> fresh;
	uint32_t next = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (auto it = carried.find(c.name(i)); it != carried.end()) {
			rules[i].counter = it->second;
			continue;
		}
		// Two generations of NF_MAX_RULES rules fit in the key space.
		while (used.count(next))
			next++;
		rules[i].counter = next;
		used.insert(next);
		fresh.push_back(next);
	}
	std::vector<nf_counter> zeros(fresh.size() * ncpus());
	write_all(m.counters, fresh.data(), zeros.data(), uint32_t(fresh.size()), "nf_rule_counters");
	auto keys = slots(gen, n);
	write_all(m.rules, keys.data(), rules.data(), n, "nf_rules");
	write_all(m.names, keys.data(), c.names.data(), n, "nf_names");
	for (uint32_t d = 0; d < NF_DIRS; d++) {
		// The defaults' counters are the live generation's, carried.
		uint32_t from = NF_DEFAULT_SLOT(gen ^ 1, d), to = NF_DEFAULT_SLOT(gen, d);
		std::vector<nf_counter> v(ncpus());
		check_bpf(bpf_map_lookup_elem(m.defaults, &from, v.data()), "read nf_default_counters");
		check_bpf(bpf_map_update_elem(m.defaults, &to, v.data(), BPF_ANY), "write nf_default_counters");
	}
	for (uint32_t side = 0; side < 2; side++) {
		std::vector<uint32_t> ports(NF_PORTS);
		for (uint32_t p = 0; p < NF_PORTS; p++)
			ports[p] = NF_PORT_SLOT(gen, side, p);
		write_all(m.ports, ports.data(), (side ? c.dport_class : c.sport_class).data(), NF_PORTS, "nf_port_class");
	}
	std::vector<uint32_t> shape_slots;
	for (uint32_t i = 0; i < c.shapes.size(); i++)
		shape_slots.push_back(gen * NF_MAX_SHAPES + i);
	write_all(m.shapes, shape_slots.data(), c.shapes.data(), uint32_t(c.shapes.size()), "nf_shapes");
	// The entries, by table: each table's keys and rule numbers packed.
	std::vector<nf_key4> k4;
	std::vector<nf_key6> k6;
	std::vector<nf_key6n> k6n;
	std::vector<nf_tuple> kf;
	std::vector<uint32_t> v4, v6, v6n, vf;
	for (auto [t, rule] : c.entries) {
		t.gen = gen;
		switch (c.shapes.at(t.shape).table) {
		case NF_TAB_V4:
			k4.push_back(key4_of(t));
			v4.push_back(rule);
			break;
		case NF_TAB_V6:
			k6.push_back(key6_of(t));
			v6.push_back(rule);
			break;
		case NF_TAB_V6N:
			k6n.push_back(key6n_of(t));
			v6n.push_back(rule);
			break;
		default:
			kf.push_back(t);
			vf.push_back(rule);
		}
	}
	write_all(m.table4, k4.data(), v4.data(), uint32_t(k4.size()), "nf_table4");
	write_all(m.table6, k6.data(), v6.data(), uint32_t(k6.size()), "nf_table6");
	write_all(m.table6n, k6n.data(), v6n.data(), uint32_t(k6n.size()), "nf_table6n");
	write_all(m.table, kf.data(), vf.data(), uint32_t(kf.size()), "nf_table");
	check_bpf(bpf_map_update_elem(m.gens, &gen, &c.info, BPF_ANY), "write nf_gens");
}

} // namespace kw::nf
