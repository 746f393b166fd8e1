// The `ferry` command line (bin/ferry.sh runs it on the project's Node 24): one subcommand per job.
import { Command, CommanderError } from 'commander';
import { loginCommand } from './login';
import { backupsCommand } from './backups';
import { okBackupCommand } from './ok-backup';
import { vkBackupCommand } from './vk-backup';

const program = new Command('ferry')
  .description('Durable transfers of photos and data between web APIs, cloud drives and databases (Temporal)')
  .showHelpAfterError();

program.addCommand(vkBackupCommand().exitOverride());
program.addCommand(loginCommand().exitOverride());
program.addCommand(okBackupCommand().exitOverride());
program.addCommand(backupsCommand().exitOverride());

// `ferry etl ...` lives with the ETL job; registered when that module is part of this checkout.
try {
  const etl = (await import('./etl')) as { etlCommand?: () => Command };
  if (etl.etlCommand) program.addCommand(etl.etlCommand().exitOverride());
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
}

try {
  await program.exitOverride().parseAsync(process.argv);
} catch (err) {
  // Commander already printed its message; a usage mistake exits 2 like every other bad input.
  if (!(err instanceof CommanderError)) throw err;
  process.exit(err.exitCode === 0 ? 0 : 2);
}
