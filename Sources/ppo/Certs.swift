import ArgumentParser
import Foundation
import TransportSecurity

struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create the certificates for mutual TLS between the learner and its workers.",
        discussion: """
            Writes to --out (ECDSA P-256 keys, PEM files; private keys mode 0600):
              ca.pem, ca-key.pem              the run's CA (ca-key.pem only issues
                                              certificates: keep it on this machine)
              learner.pem, learner-key.pem    the learner, valid for exactly the
                                              --learner-host names and addresses
              worker-N.pem, worker-N-key.pem  one client certificate per worker

            The learner accepts only workers whose certificate is signed by this CA; a worker accepts only a learner whose certificate names the host it dials. So give every DNS name and IP address workers will use: localhost and 127.0.0.1 are not added for you.

            Examples:
              ppo certs --out tls --learner-host localhost --learner-host 127.0.0.1 \\
                        --workers 4
              ppo certs --out tls --learner-host learner.lab --learner-host 10.0.0.5 \\
                        --workers 8 --days 30
              ppo certs --out tls --add-worker worker-9   (from the CA in tls/)

            Then (any --env; see `ppo envs`):
              ppo-learner --env CartPole-v1 --tls-dir tls
              ppo-worker --learner localhost:9000 --tls-dir tls --cert-name worker-1
            A worker's host needs only ca.pem, worker-N.pem and worker-N-key.pem.
            """)

    @Option(help: ArgumentHelp("Directory to write the PEM files to (created if needed).", valueName: "dir"))
    var out: String

    @Option(
        name: .customLong("learner-host"),
        help: ArgumentHelp(
            "A DNS name or IP address workers dial to reach the learner (repeatable; name every one).",
            valueName: "name-or-ip"))
    var learnerHosts: [String] = []

    @Option(help: ArgumentHelp("Number of worker certificates: worker-1 … worker-N.", valueName: "n"))
    var workers: Int?

    @Option(help: ArgumentHelp("Validity of the certificates, in days.", valueName: "d"))
    var days = 365

    @Flag(help: "Replace the certificates already in --out (certificates from the old CA stop working).")
    var force = false

    @Option(
        name: .customLong("add-worker"),
        help: ArgumentHelp(
            "Instead of creating a bundle, issue a certificate for this worker from the CA already in --out "
                + "(repeatable; with --force, replaces that worker's certificate).",
            valueName: "name"))
    var addWorkers: [String] = []

    func validate() throws {
        guard days >= 1 else { throw ValidationError("--days must be at least 1") }
        if !addWorkers.isEmpty {
            guard learnerHosts.isEmpty, workers == nil else {
                throw ValidationError(
                    "--add-worker issues from the existing CA in --out; do not combine it with --learner-host or "
                        + "--workers (those create a new bundle)")
            }
            return
        }
        guard !learnerHosts.isEmpty else {
            throw ValidationError(
                "give at least one --learner-host: every DNS name or IP address workers will dial, "
                    + "e.g. --learner-host localhost --learner-host 127.0.0.1")
        }
        for host in learnerHosts {
            do { _ = try HostAddress(parsing: host) } catch { throw ValidationError(error.description) }
        }
        guard let workers else {
            throw ValidationError("give the number of worker certificates with --workers N (at least 1)")
        }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        if !addWorkers.isEmpty {
            for name in addWorkers {
                let issued = try CertificateBundle.issueWorker(
                    named: name, in: directory, validityDays: days, overwrite: force)
                print("""
                    Wrote \(issued.certificate.path) and \(issued.privateKey.lastPathComponent) \
                    (valid until \(CertificateDate.text(issued.notValidAfter, seconds: false))).
                    Start it with: ppo-worker --learner \(Self.learnerAddress(in: directory)) --tls-dir \(out) --cert-name \(name)
                    (its host needs ca.pem, \(issued.certificate.lastPathComponent) and \
                    \(issued.privateKey.lastPathComponent))
                    """)
            }
            return
        }
        let bundle = try CertificateBundle.create(
            in: directory, learnerHosts: learnerHosts, workers: workers ?? 1, validityDays: days, overwrite: force)
        let names = bundle.learnerHosts.map(\.description).joined(separator: ", ")
        let first = bundle.workerNames.first ?? "worker-1"
        let last = bundle.workerNames.last ?? first
        let workerFiles = first == last ? "\(first).pem, \(first)-key.pem" : "\(first).pem … \(last).pem"
        let workerNote = first == last ? "the worker" : "\(bundle.workerNames.count) workers, each with its -key.pem"
        func column(_ text: String) -> String { text.padding(toLength: 32, withPad: " ", startingAt: 0) }
        print("""
            Wrote a certificate bundle to \(directory.path) (valid until \(CertificateDate.text(bundle.notValidAfter, seconds: false))):
              \(column("ca.pem, ca-key.pem"))the run's CA; keep ca-key.pem on this machine (it issues certificates)
              \(column("learner.pem, learner-key.pem"))the learner, valid for: \(names)
              \(column(workerFiles))\(workerNote)
            Private keys have mode 0600.

            Start the learner:  ppo-learner --env CartPole-v1 --tls-dir \(out)   (any --env; see `ppo envs`)
            Start a worker:     ppo-worker --learner \(Self.address(bundle.learnerHosts.first?.description)) --tls-dir \(out) --cert-name \(first)\(first == last ? "" : "   (… \(last))")
            Workers must dial one of: \(names).
            A worker's host needs only ca.pem, worker-N.pem and worker-N-key.pem.
            More workers later: ppo certs --out \(out) --add-worker worker-\(bundle.workerNames.count + 1)
            """)
        if !bundle.otherPEMFiles.isEmpty {
            let list = bundle.otherPEMFiles.map(\.lastPathComponent).joined(separator: ", ")
            print("""

                Left as they were in \(out): \(list).
                Certificates issued by an earlier CA are no longer accepted; delete them.
                """)
        }
    }

    /// `host:9000` for the learner's first certificate name (its default port), as a worker dials it.
    static func address(_ host: String?) -> String {
        host.map { LearnerAddress(host: $0, port: 9000).description } ?? "LEARNER-HOST:9000"
    }

    /// The learner's address from the learner certificate in `directory`, if it is there.
    static func learnerAddress(in directory: URL) -> String {
        address((try? LearnerTLS.load(directory: directory))?.names.first)
    }
}
