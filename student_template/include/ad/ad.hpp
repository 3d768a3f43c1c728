#pragma once
/// \file Everything of the AD library in one include.

#include "ad/chain.hpp"
#include "ad/dual.hpp"
#include "ad/dual_vec.hpp"
#include "ad/error.hpp"
#include "ad/jacobian.hpp"
#include "ad/network.hpp"
#include "ad/tape.hpp"
#include "ad/tensor.hpp"
