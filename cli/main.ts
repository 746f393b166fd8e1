// The `ferry` command line (bin/ferry.sh runs it on the project's Node 24): one subcommand per job.
import { Command } from 'commander';
import { vkBackupCommand } from './vk-backup';

const program = new Command('ferry')
  .description('Durable transfers of photos and data between web APIs, cloud drives and databases (Temporal)')
  .showHelpAfterError();

program.addCommand(vkBackupCommand());

// `ferry etl ...` lives with the ETL job; registered when that module is part of this checkout.
try {
  const etl = (await import('./etl')) as { etlCommand?: () => Command };
  if (etl.etlCommand) program.addCommand(etl.etlCommand());
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
}

await program.parseAsync(process.argv);
