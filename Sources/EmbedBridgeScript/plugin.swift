import Foundation
import PackagePlugin

/// Compiles the Gymnasium bridge's Python module (`Sources/GymBridge/Python/ppo_gym_bridge.py`) into the
/// `GymBridge` target as a string, so the binaries carry it with them: a copied `ppo-worker` needs no file beside it.
/// (SwiftPM resources would live in a bundle folder next to the binary, which a copy leaves behind.)
@main
struct EmbedBridgeScript: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let input = module.directoryURL.appending(path: "Python/ppo_gym_bridge.py")
        let output = context.pluginWorkDirectoryURL.appending(path: "BridgeScript.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(input.lastPathComponent) in \(target.name)",
                executable: try context.tool(named: "embed-text").url,
                arguments: [input.path(), output.path(), "BridgeScript"],
                inputFiles: [input], outputFiles: [output])
        ]
    }
}
