/** Usage text of the bundle. */
import { VERSION } from '../version.js';

export { VERSION };

export const HELP_TEXT = `portcullis ${VERSION} — a restricted entry point for SSH service accounts

Serve (run by sshd, never by hand):
  command="portcullis [--config PATH] [--level read|ops|admin] [--identity NAME] [--tags a,b] [--diagnostic]"
  login shell:  portcullis -c "<request>"

Operator and client commands:
  portcullis check [--config PATH] [--json] [--compile] [--account NAME] [--sshd-config FILE]
  portcullis check --keys FILE [--config PATH] [--json] [--account NAME]
  portcullis sign --token NAME (--secret-file PATH | --secret-env VAR) [--server-id ID] [--stdin FILE] REQUEST
  portcullis sign --signer NAME --ssh-key PATH [--server-id ID] [--stdin FILE] REQUEST
  portcullis unlock [--config PATH] (--token NAME | --signer NAME | --address IP)
  portcullis verify-audit [--audit-log PATH | --config PATH] [--segment] [--seals PATH [--key file:PATH]] [--json]
  portcullis audit seal --audit-log PATH --key file:PATH --seals PATH
  portcullis mcp [--config PATH] [--host ALIAS]... [--check]     (MCP bridge, on the agent's machine)
  portcullis --version | --help | -h
  portcullis COMMAND --help     (usage errors: one line on stderr, exit 2)

Callers run: ssh svc@host help
`;
