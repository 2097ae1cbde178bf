// The language client, minus the command IDs the extension registers itself.
//
// vscode-languageclient registers a VS Code command for every command the server advertises in
// `executeCommandProvider.commands` (its ExecuteCommandFeature). The extension registers
// grove.explain, grove.status, … itself (with editor-built arguments and result handling), and VS
// Code refuses a second registration ("command 'grove.explain' already exists"), which would fail
// the client's start. ExecuteCommandFeature is not exported by the package, so the feature
// instance's `register` is wrapped as the client registers it.
import {
  type DynamicFeature,
  type ExecuteCommandRegistrationOptions,
  LanguageClient,
  type RegistrationData,
  type StaticFeature,
} from 'vscode-languageclient/node';
import { STATUS_CAPABILITY, serverRegisteredCommands } from './commands';

const EXECUTE_COMMAND = 'workspace/executeCommand';

type Feature = StaticFeature | DynamicFeature<unknown>;

function isExecuteCommandFeature(feature: Feature): feature is DynamicFeature<ExecuteCommandRegistrationOptions> {
  const candidate = feature as Partial<DynamicFeature<unknown>>;
  return typeof candidate.register === 'function' && candidate.registrationType?.method === EXECUTE_COMMAND;
}

/**
 * `feature`, with the workspace/executeCommand feature's registrations (static, from the
 * initialize result, and dynamic) filtered through {@link serverRegisteredCommands}.
 */
export function withoutExtensionCommands<F extends Feature>(feature: F): F {
  if (!isExecuteCommandFeature(feature)) {
    return feature;
  }
  const register = feature.register.bind(feature);
  feature.register = (data: RegistrationData<ExecuteCommandRegistrationOptions>) => {
    const commands = data.registerOptions?.commands;
    register(
      commands === undefined
        ? data
        : { ...data, registerOptions: { ...data.registerOptions, commands: serverRegisteredCommands(commands) } },
    );
  };
  return feature;
}

interface ClientCapabilitiesWithExperimental {
  experimental?: unknown;
}

/** Declares `experimental.groveStatus`, so the server pushes its status as it changes. */
export const statusPushFeature: StaticFeature = {
  fillClientCapabilities(capabilities: ClientCapabilitiesWithExperimental): void {
    const experimental = typeof capabilities.experimental === 'object' && capabilities.experimental !== null ? capabilities.experimental : {};
    capabilities.experimental = { ...experimental, [STATUS_CAPABILITY]: true };
  },
  initialize(): void {},
  getState: () => ({ kind: 'static' }),
  clear(): void {},
};

export class GroveLanguageClient extends LanguageClient {
  constructor(...args: ConstructorParameters<typeof LanguageClient>) {
    super(...args);
    this.registerFeature(statusPushFeature);
  }

  // Called from the base constructor (registerBuiltinFeatures) too: uses no fields of this class.
  override registerFeature(feature: Feature): void {
    super.registerFeature(withoutExtensionCommands(feature));
  }
}
