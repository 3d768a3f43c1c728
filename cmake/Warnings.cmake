# Interface targets linked PRIVATE by every target of the project:
# adcourse_options (language standard) and adcourse_warnings (warning flags).
add_library(adcourse_options INTERFACE)
target_compile_features(adcourse_options INTERFACE cxx_std_17)

add_library(adcourse_warnings INTERFACE)
target_compile_options(adcourse_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                 -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
                                 -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough>)
