// The reference's workloads, for timing a submission beside the reference in
// one probe. A submission and the reference both define namespace `ad`, so
// the reference is compiled here a second time, renamed and hidden:
//
//  * every standard header it uses is included first, so that nothing below
//    can reach into them;
//  * the preprocessor renames `ad` to `ad_reference` (no standard or grader
//    header uses the identifier `ad`);
//  * the reference's sources and the workload templates are included inside
//    an anonymous namespace, so that none of their symbols is visible to the
//    linker: a submission linked with this file can neither clash with the
//    reference nor call it. Only grader::timing::reference_workload leaves.
//
// This file is part of the probe support library, which every probe links.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "grader/workload.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"  // the parts of the reference no workload uses

#define ADC_WORKLOADS_NO_VECTOR_MODE 1  // the probe times no vector mode
#define ad ad_reference
namespace {
#include "../../reference/src/chain.cpp"
#include "../../reference/src/dual.cpp"
#include "../../reference/src/network.cpp"
#include "../../reference/src/tape.cpp"
#include "../../reference/src/tensor.cpp"
#include "../probe/ad_workloads.hpp"
}  // namespace
#undef ad

#pragma GCC diagnostic pop

namespace grader::timing {

std::unique_ptr<Workload> reference_workload(const WorkloadSpec& spec) { return ad_workloads::make_workload(spec); }

}  // namespace grader::timing
