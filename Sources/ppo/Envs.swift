import ArgumentParser
import Environments
import Foundation
import PPOCore

struct Envs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the environments, with their spaces, time limits and reward thresholds.")

    @Flag(help: "Print the list as JSON.")
    var json = false

    func run() throws {
        let specs = EnvironmentRegistry.specs
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(specs), as: UTF8.self))
            return
        }
        for spec in specs {
            let threshold = spec.rewardThreshold.map { String(format: "%g", $0) } ?? "-"
            print(spec.id.padding(toLength: 26, withPad: " ", startingAt: 0)
                  + "obs \(Self.describe(spec.observationSpace))".padding(toLength: 14, withPad: " ", startingAt: 0)
                  + "action \(Self.describe(spec.actionSpace))".padding(toLength: 20, withPad: " ", startingAt: 0)
                  + "max steps \(spec.maxEpisodeSteps)".padding(toLength: 16, withPad: " ", startingAt: 0)
                  + "solved at \(threshold)")
        }
    }

    static func describe(_ space: Space) -> String {
        switch space {
        case .discrete(let n): "Discrete(\(n))"
        case .box(let low, _): "Box(\(low.count))"
        }
    }
}
