// `diffucoder tasks`: synthetic Python function-writing tasks (train/synthetic.h) as benchmark jsonl (the
// eval module's generic format) and SFT jsonl.
#include <cstdio>
#include <memory>

#include "cli.h"
#include "core/error.h"
#include "train/synthetic.h"

DC_SUBCOMMAND("tasks", [](CLI::App& app) {
  auto* sub = app.add_subcommand("tasks", "generate synthetic Python function-writing tasks");
  auto opt = std::make_shared<dc::train::SyntheticOptions>();
  auto bench = std::make_shared<std::string>();
  auto sft = std::make_shared<std::string>();
  auto list = std::make_shared<bool>(false);
  sub->add_option("--split", opt->split, "train or heldout (disjoint template parameters)");
  auto* count = sub->add_option("--count", opt->count, "number of tasks (without repeats)");
  sub->add_option("--per-template", opt->per_template,
                  "instead of --count: this many tasks from every template, repeating a template's "
                  "parameter tuples (with new docstring examples and tests) when it has fewer")
      ->excludes(count);
  sub->add_option("--seed", opt->seed, "seed for the choice of tasks and test inputs");
  sub->add_option("--heldout-percent", opt->heldout_percent, "share of parameter tuples held out (1..99)");
  sub->add_option("--tests", opt->tests_per_task, "test cases per task");
  sub->add_option("--family", opt->families, "families to draw from (default: all)");
  sub->add_option("--benchmark-out", *bench, "write benchmark jsonl (eval generic format) here");
  sub->add_option("--sft-out", *sft, "write SFT jsonl ({prompt, response}) here");
  sub->add_flag("--list", *list, "print the templates and exit");
  sub->callback([opt, bench, sft, list] {
    if (*list) {
      for (const auto& t : dc::train::synthetic_templates()) std::printf("%s\n", t.c_str());
      return;
    }
    if (bench->empty() && sft->empty()) dc::throw_error("tasks: give --benchmark-out and/or --sft-out");
    const auto tasks = dc::train::generate_synthetic_tasks(*opt);
    dc::train::write_synthetic_tasks(tasks, *bench, *sft);
    std::printf("wrote %zu %s tasks\n", tasks.size(), opt->split.c_str());
  });
});
