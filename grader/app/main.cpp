// The grader's command line: the only user of CLI11. Each subcommand lives in
// its own cmd_*.cpp; main only connects them.
#include <CLI/CLI.hpp>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace grader::cli;
  CLI::App app{"adcourse grader: grades automatic-differentiation submissions"};
  app.require_subcommand(1);
  const std::vector<Command> commands = {
      setup_check(app),
      setup_grade(app),
      setup_validate(app),
      setup_assign(app),
      setup_batch(app),
      setup_gradebook(app),
      setup_package(app),
      setup_mutate(app),
      setup_bench(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  for (const Command& c : commands)
    if (c.app->parsed()) return c.run();
  return exit_usage;
}
