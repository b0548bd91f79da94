/**
 * vitest's default live reporter without its "Failed Tests" block: every finding fails its vitest
 * test, and the harness prints each finding once, grouped by root cause, right after (terminal.ts).
 * Unhandled errors are still printed here; errors of the spec file itself reach the harness's
 * summary through the collector. `clerk-harness run` uses this unless --reporter names another.
 */
import { DefaultReporter } from 'vitest/node';
import type { SerializedError } from '@vitest/utils';

type File = Parameters<DefaultReporter['reportSummary']>[0];

type Ctx = Parameters<DefaultReporter['onInit']>[0];

/** What the live list calls the harness's spec module instead of its path inside the package. */
const SPEC_LABEL = 'auth suite';
const isSpec = (file: string) => /(^|[\\/])suite[\\/]auth\.spec\.[jt]s$/.test(file);

export default class HarnessLiveReporter extends DefaultReporter {
  override onInit(ctx: Ctx): void {
    // vitest's banner names the package folder (its root), which means nothing to a user: say what runs.
    const logger = ctx.logger as unknown as { printBanner(): void; log(...m: unknown[]): void };
    logger.printBanner = () => logger.log(`\n clerk-harness run (vitest v${ctx.version})\n`);
    super.onInit(ctx);
  }

  /** The spec module is shown as "auth suite", not dist/suite/auth.spec.js; other paths stay relative. */
  override relative(file: string): string {
    return isSpec(file) ? SPEC_LABEL : super.relative(file);
  }

  constructor(...args: ConstructorParameters<typeof DefaultReporter>) {
    super(...args);
    // getModuleLog is private in vitest's types, public at runtime: it prints the module's name.
    type ModuleLog = (module: { task: { name: string } }, counts: unknown) => string;
    const self = this as unknown as { getModuleLog: ModuleLog };
    const moduleLog = self.getModuleLog.bind(this);
    self.getModuleLog = (module, counts) => {
      const line = moduleLog(module, counts);
      return isSpec(module.task.name) ? line.replace(module.task.name, SPEC_LABEL) : line;
    };
  }

  override reportSummary(files: File, errors: unknown[]): void {
    // printErrorsSummary is private in vitest's types, public at runtime; [] = no test or suite list.
    (this as unknown as { printErrorsSummary(files: File, errors: unknown[]): void }).printErrorsSummary([], errors as SerializedError[]);
    this.reportTestSummary(files, errors, 0);
  }
}

