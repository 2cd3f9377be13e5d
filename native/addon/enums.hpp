// Enums that cross the seam as strings (the spelling of src/engine/types.ts), for enum_field (convert.hpp).
#pragma once
#include "../core/gp.hpp"

namespace tunable {
namespace addon {

constexpr const char* kKernelNames[] = {"matern52", "rbf"};
constexpr KernelType kKernels[] = {KernelType::Matern52, KernelType::RBF};
constexpr const char* kAcqNames[] = {"logei", "ei", "pi", "ucb"};
constexpr AcqType kAcqs[] = {AcqType::LogEI, AcqType::EI, AcqType::PI, AcqType::UCB};
constexpr const char* kFantasyNames[] = {"mean", "min", "max"};
constexpr FantasyType kFantasies[] = {FantasyType::Mean, FantasyType::Min, FantasyType::Max};
constexpr const char* kSolveNames[] = {"blocked", "cublas"};
constexpr bool kSolveCublas[] = {false, true};

}  // namespace addon
}  // namespace tunable
