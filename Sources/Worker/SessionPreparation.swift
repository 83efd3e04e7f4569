import Environments
import GymBridge
import Training
import Wire

/// Builds the policy and the environments a Welcome describes, and checks that the environment is the learner's.
struct SessionPreparation {
    /// Why a Welcome cannot be served: the code told to the learner, the sentence, and how the session ends.
    struct Refusal: Error {
        var code: WireError.Code
        var message: String
        var ending: SessionEnding
    }

    let options: WorkerOptions
    let environments: EnvironmentHolder

    /// The worker's state for this connection (its `index`-th), or why it cannot serve the Welcome.
    func prepare(welcome: Welcome, session index: UInt64) -> Result<WorkerState, Refusal> {
        let selection: EnvironmentSelection
        do {
            selection = EnvironmentSelection(id: welcome.envID, arguments: welcome.envArguments, setup: try EnvironmentSetup(text: welcome.envSetup))
        } catch {
            let why = "the learner's environment setup cannot be used: \(error)"
            return .failure(Refusal(code: .invalidValue, message: why, ending: .unusable(why)))
        }
        let streams = CollectorStreams(runSeed: welcome.seed, collector: options.workerID, session: index)
        let env: any VectorEnvironment
        do {
            env = try environments.take(selection, count: options.envs, seed: streams.environmentSeed, bridge: options.bridge,
                                        stepDelay: options.stepDelay)
        } catch let error as EnvironmentError {
            if case .bridge(let fault) = error, !fault.isPermanent {
                return .failure(Refusal(code: .environmentFailed, message: fault.description, ending: .environmentFailed(fault)))
            }
            let why = "the learner trains \(selection), which this worker cannot run: \(error)"
            return .failure(Refusal(code: .envMismatch, message: why, ending: .unusable(why)))
        } catch {
            return .failure(Refusal(code: .envMismatch, message: "\(error)", ending: .unusable("\(error)")))
        }
        if let why = mismatch(welcome: welcome, selection: selection, spec: env.spec) {
            return .failure(Refusal(code: .envMismatch, message: why, ending: .unusable(why)))
        }
        do {
            let state = try WorkerState(welcome: welcome, env: env, options: options, streams: streams)
            environments.keep(state.collector, selection: selection)
            return .success(state)
        } catch {
            return .failure(Refusal(code: .shapeMismatch, message: "\(error)", ending: .unusable("\(error)")))
        }
    }

    /// Why this worker's environment is not the learner's (its signature differs), or nil.
    private func mismatch(welcome: Welcome, selection: EnvironmentSelection, spec: EnvironmentSpec) -> String? {
        guard welcome.envSignature != spec.signature(selection) else { return nil }
        let here = spec.canonicalDescription(selection)
        return "this worker's \(selection) is not the learner's: here it is \(here) (install the same package versions on both machines)"
    }
}
