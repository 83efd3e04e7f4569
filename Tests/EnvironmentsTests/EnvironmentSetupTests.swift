import Environments
import Testing
import TestSupport

/// A `gym:` environment's registrations and wrappers: read from flags and from their canonical text, checked, and
/// part of the environment's signature.
@Suite("Environment setup (registrations and wrappers)", .offThePool)
struct EnvironmentSetupTests {
    static let setup = EnvironmentSetup(
        registrations: ["minatar:register_envs"],
        wrappers: [EnvironmentSetup.Wrapper(path: "minigrid.wrappers:ImgObsWrapper"),
                   EnvironmentSetup.Wrapper(path: "gymnasium.wrappers:RescaleAction", arguments: #"{"max_action":1.0,"min_action":-1}"#)])

    @Test("a wrapper flag is module:Class with its own keyword arguments after '=', a float kept a float, the keys sorted")
    func wrapperFlag() throws {
        #expect(try EnvironmentSetup.wrapper(fromFlag: "minigrid.wrappers:ImgObsWrapper") == EnvironmentSetup.Wrapper(path: "minigrid.wrappers:ImgObsWrapper"))
        let scaled = try EnvironmentSetup.wrapper(fromFlag: #"gymnasium.wrappers:RescaleAction={"min_action": -1, "max_action": 1.0}"#)
        #expect(scaled == Self.setup.wrappers[1])
        #expect(throws: EnvironmentError.self) { try EnvironmentSetup.wrapper(fromFlag: "m:C=[1, 2]") }
        #expect(throws: EnvironmentError.self) { try EnvironmentSetup.wrapper(fromFlag: "m:C={not json}") }
    }

    @Test("the canonical text reads back to the same setup; the bridge gets the lists it takes; none is empty text and no arguments")
    func canonicalText() throws {
        let text = Self.setup.text
        #expect(text == #"{"register":["minatar:register_envs"],"wrappers":[{"class":"minigrid.wrappers:ImgObsWrapper"},{"class":"gymnasium.wrappers:RescaleAction","kwargs":{"max_action":1.0,"min_action":-1}}]}"#)
        #expect(try EnvironmentSetup(text: text) == Self.setup)
        #expect(Self.setup.bridgeArguments == ["--register", #"["minatar:register_envs"]"#, "--wrappers",
                                                #"[{"class":"minigrid.wrappers:ImgObsWrapper"},{"class":"gymnasium.wrappers:RescaleAction","kwargs":{"max_action":1.0,"min_action":-1}}]"#])
        #expect(EnvironmentSetup.none.text.isEmpty && EnvironmentSetup.none.bridgeArguments.isEmpty)
        #expect(try EnvironmentSetup(text: "") == .none)
    }

    @Test("paths that are not module:name of Python identifiers, too many entries, and text that is not a setup are refused",
          arguments: [
            #"{"register":["no_colon"]}"#, #"{"register":["a:"]}"#, #"{"wrappers":[{"class":"1a:B"}]}"#,
            #"{"wrappers":[{"class":"a b:C"}]}"#, #"{"wrappers":[{"class":"os:system;x"}]}"#, #"{"wrappers":[{"class":"m:C","kwargs":[1]}]}"#,
            #"{"wrappers":[{"class":"m:C","args":{}}]}"#, #"{"other":[]}"#, "[]", "not json",
          ])
    func refused(text: String) {
        #expect(throws: EnvironmentError.self) { try EnvironmentSetup(text: text) }
    }

    @Test("at most 16 registrations and 16 wrappers")
    func counts() throws {
        let many = EnvironmentSetup(registrations: Array(repeating: "m:f", count: 17))
        #expect(throws: EnvironmentError.self) { try many.check() }
        try EnvironmentSetup(registrations: Array(repeating: "m:f", count: 16)).check()
    }

    @Test("a native environment takes no setup; a gym: one does, and its signature and description include it")
    func selectionAndSignature() throws {
        #expect(throws: EnvironmentError.self) { try EnvironmentSelection(id: "CartPole-v1", setup: Self.setup).validated() }
        let plain = EnvironmentSelection(id: "gym:CartPole-v1")
        var wrapped = plain
        wrapped.setup = Self.setup
        _ = try wrapped.validated()
        let spec = try EnvironmentRegistry.spec(id: "CartPole-v1")
        #expect(spec.signature(plain) == spec.signature(arguments: ""))
        #expect(spec.signature(wrapped) != spec.signature(plain))
        #expect(spec.canonicalDescription(wrapped).hasSuffix("|limit=500|setup=\(Self.setup.text)"))
    }
}
