#include "frtp_learn_access.h"

namespace kw::frtp {

std::string LearnSubject::describe() const
{
	switch (kind) {
	case Kind::unit:
		return "unit " + name;
	case Kind::exe:
		return "executable " + name;
	case Kind::all:
		break;
	}
	return "every process";
}

} // namespace kw::frtp
