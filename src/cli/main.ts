import { admin, ADMIN_HELP } from './admin.ts';
import { serve, SERVE_HELP } from './serve.ts';

const HELP = `Usage: seedbucket <command> [options]

An S3-compatible object store whose GetObjectTorrent really works.

Commands:
  serve      start the server (see: seedbucket serve --help)
  admin      manage accounts, keys, usage and bucket settings (see: seedbucket admin --help)

Options:
  -h, --help   show this help
  --version    print the version
`;

const [command, ...rest] = process.argv.slice(2);
try {
  switch (command) {
    case 'serve':
      await serve(rest);
      break;
    case 'admin':
      await admin(rest);
      break;
    case '--version': {
      const { VERSION } = await import('../version.ts');
      process.stdout.write(`${VERSION}\n`);
      break;
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${HELP}\n${SERVE_HELP.split('\n')[0]}\n${ADMIN_HELP.split('\n')[0]}\n`);
      break;
    default:
      process.stderr.write(`unknown command: ${command}\n\n${HELP}`);
      process.exit(2);
  }
} catch (e) {
  process.stderr.write(`seedbucket: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
