import Foundation
import NIOSSL
import Testing
@testable import TransportSecurity
import TestSupport

@Suite("Certificate bundles", .offThePool)
struct CertificateBundleTests {
    static func files(in dir: URL) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
    }

    static func mode(of url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    @Test("a bundle has exactly its files, keys are 0600, certificates parse, SANs are exactly the requested ones")
    func createBundle() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let out = dir.url.appendingPathComponent("tls")  // created by `create`
        let bundle = try CertificateBundle.create(
            in: out, learnerHosts: ["learner.example", "10.0.0.5", "::1", "Learner.Example"], workers: 3,
            validityDays: 30)

        let expected: Set<String> = [
            "ca.pem", "ca-key.pem", "learner.pem", "learner-key.pem",
            "worker-1.pem", "worker-1-key.pem", "worker-2.pem", "worker-2-key.pem", "worker-3.pem", "worker-3-key.pem",
        ]
        #expect(try Self.files(in: out) == expected)
        #expect(Set(bundle.files.map(\.lastPathComponent)) == expected)
        #expect(bundle.workerNames == ["worker-1", "worker-2", "worker-3"])
        for name in expected {
            #expect(try Self.mode(of: out.appendingPathComponent(name)) == (name.hasSuffix("-key.pem") ? 0o600 : 0o644),
                    "mode of \(name)")
        }

        // BoringSSL (through NIOSSL) reads every certificate and key.
        for name in expected {
            let url = out.appendingPathComponent(name)
            if name.hasSuffix("-key.pem") {
                _ = try NIOSSLPrivateKey(file: url.path, format: .pem)
            } else {
                #expect(try NIOSSLCertificate.fromPEMFile(url.path).count == 1)
            }
        }

        // The learner names exactly what was asked for (the duplicate differing only in case once), in order.
        let learner = try CertificateFile.parseCertificate(at: out.appendingPathComponent("learner.pem"), missingHint: "")
        #expect(learner.subjectAlternativeNames == ["learner.example", "10.0.0.5", "::1"])
        #expect(bundle.learnerHosts.map(\.description) == ["learner.example", "10.0.0.5", "::1"])
        let worker = try CertificateFile.parseCertificate(at: out.appendingPathComponent("worker-2.pem"), missingHint: "")
        #expect(worker.commonName == "worker-2")
        #expect(worker.subjectAlternativeNames.isEmpty)

        // Validity: 30 days from now (minus the clock-skew allowance at the start).
        let days = learner.notValidAfter.timeIntervalSinceNow / 86_400
        #expect(days > 29.9 && days <= 30.001)
        #expect(learner.notValidBefore < Date())
        #expect(bundle.notValidAfter == learner.notValidAfter)
    }

    @Test("serial numbers are random and distinct")
    func randomSerials() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 3)
        let serials = try ["ca.pem", "learner.pem", "worker-1.pem", "worker-2.pem", "worker-3.pem"].map {
            try NIOSSLCertificate.fromPEMFile(dir.url.appendingPathComponent($0).path)[0].serialNumber
        }
        #expect(Set(serials).count == serials.count)
        #expect(serials.allSatisfy { $0.count >= 16 })  // 20 random bytes, minus leading zeros
    }

    @Test("openssl agrees: chains verify, purposes and SANs are right",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func opensslAgrees() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["learner.example", "10.0.0.5"], workers: 1)
        func openssl(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = dir.url
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        #expect(try openssl(["verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "learner.pem"]).status == 0)
        #expect(try openssl(["verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "worker-1.pem"]).status == 0)
        #expect(try openssl(["verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "worker-1.pem"]).status != 0)
        #expect(try openssl(["verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "learner.pem"]).status != 0)
        let san = try openssl(["x509", "-in", "learner.pem", "-noout", "-ext", "subjectAltName"]).output
        #expect(san.contains("DNS:learner.example, IP Address:10.0.0.5"))
        #expect(!san.contains("localhost") && !san.contains("127.0.0.1"))
        let ca = try openssl(["x509", "-in", "ca.pem", "-noout", "-ext", "basicConstraints,keyUsage"]).output
        #expect(ca.contains("CA:TRUE"))
        #expect(ca.contains("Certificate Sign, CRL Sign"))
        #expect(try openssl(["x509", "-in", "worker-1.pem", "-noout", "-subject"]).output.contains("CN = worker-1"))
        #expect(try openssl(["pkey", "-in", "worker-1-key.pem", "-noout", "-text"]).output.contains("prime256v1"))
    }

    @Test("an existing bundle is not overwritten unless asked")
    func refusesToOverwrite() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 1)
        let ca = try Self.text(dir.url.appendingPathComponent("ca.pem"))

        #expect {
            _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 2)
        } throws: { error in
            guard case .bundleExists(_, let existing) = error as? TransportSecurityError else { return false }
            return existing.contains("ca.pem") && existing.contains("worker-1.pem") && !existing.contains("worker-2.pem")
        }
        #expect(try Self.text(dir.url.appendingPathComponent("ca.pem")) == ca)
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("worker-2.pem").path))

        _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 2, overwrite: true)
        #expect(try Self.text(dir.url.appendingPathComponent("ca.pem")) != ca)
        #expect(try Self.mode(of: dir.url.appendingPathComponent("ca-key.pem")) == 0o600)
        // No temporary files left behind.
        #expect(try Self.files(in: dir.url).allSatisfy { !$0.hasPrefix(".") })

        // A smaller bundle over a bigger one leaves the extra workers' files alone and says so.
        let smaller = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 1, overwrite: true)
        #expect(smaller.otherPEMFiles.map(\.lastPathComponent) == ["worker-2-key.pem", "worker-2.pem"])
    }

    @Test("invalid requests are refused with a sentence that says what to do")
    func invalidRequests() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(throws: TransportSecurityError.noLearnerHosts) {
            _ = try CertificateBundle.create(in: dir.url, learnerHosts: [], workers: 1)
        }
        #expect(throws: TransportSecurityError.invalidWorkerCount(0)) {
            _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 0)
        }
        #expect(throws: TransportSecurityError.invalidValidity(days: 0)) {
            _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 1, validityDays: 0)
        }
        for bad in ["learner_1.example", "10.0.5", "-bad.example", "a..b", ""] {
            #expect(throws: TransportSecurityError.self, "\(bad.debugDescription) accepted") {
                _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost", bad], workers: 1)
            }
        }
        #expect(try Self.files(in: dir.url).isEmpty)  // nothing written by a refused request
        let message = TransportSecurityError.invalidLearnerHost("10.0.5", reason: "x").description
        #expect(message.contains("10.0.5") && message.contains("IPv4/IPv6"))
    }

    @Test("one more worker certificate is issued from an existing CA and is accepted by the loader")
    func issueWorker() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 1)
        let issued = try CertificateBundle.issueWorker(named: "worker-7", in: dir.url, validityDays: 10)
        #expect(issued.certificate.lastPathComponent == "worker-7.pem")
        #expect(try Self.mode(of: issued.privateKey) == 0o600)
        let tls = try WorkerTLS.load(directory: dir.url, certName: "worker-7")
        #expect(tls.workerName == "worker-7")

        #expect(throws: TransportSecurityError.fileExists(path: issued.certificate.path)) {
            _ = try CertificateBundle.issueWorker(named: "worker-7", in: dir.url)
        }
        let before = try Self.text(issued.certificate)
        _ = try CertificateBundle.issueWorker(named: "worker-7", in: dir.url, overwrite: true)
        #expect(try Self.text(issued.certificate) != before)

        for bad in ["ca", "learner", "worker-1-key", "../worker", ".hidden", "a b"] {
            #expect(throws: TransportSecurityError.self, "\(bad) accepted") {
                _ = try CertificateBundle.issueWorker(named: bad, in: dir.url)
            }
        }
        // Without a CA there is nothing to issue from, and the error says how to make one.
        let empty = dir.url.appendingPathComponent("empty")
        #expect {
            _ = try CertificateBundle.issueWorker(named: "worker-2", in: empty)
        } throws: { error in
            guard case .missingFile(let path, let hint) = error as? TransportSecurityError else { return false }
            return path.hasSuffix("empty/ca.pem") && hint.contains("ppo certs")
        }
    }

    @Test("loading names the missing or wrong file and how to fix it")
    func loadingErrors() throws {
        let dir = try TemporaryDirectory()
        let other = try TemporaryDirectory()
        defer { dir.remove(); other.remove() }
        _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 2)
        _ = try CertificateBundle.create(in: other.url, learnerHosts: ["localhost"], workers: 1)
        let url = dir.url

        // A missing worker certificate.
        #expect {
            _ = try WorkerTLS.load(directory: url, certName: "worker-9")
        } throws: { error in
            guard let error = error as? TransportSecurityError, case .missingFile(let path, _) = error else { return false }
            return path.hasSuffix("/worker-9.pem") && error.description.contains("ppo certs")
                && error.description.contains("--cert-name")
        }
        // A missing learner directory.
        #expect {
            _ = try LearnerTLS.load(directory: url.appendingPathComponent("nowhere"))
        } throws: { error in
            guard let error = error as? TransportSecurityError, case .missingFile(let path, _) = error else { return false }
            return path.hasSuffix("nowhere/ca.pem") && error.description.contains("ppo certs --out")
        }
        // A key that belongs to another certificate.
        try FileManager.default.removeItem(at: url.appendingPathComponent("worker-1-key.pem"))
        try FileManager.default.copyItem(
            at: url.appendingPathComponent("worker-2-key.pem"), to: url.appendingPathComponent("worker-1-key.pem"))
        #expect(throws: TransportSecurityError.keyDoesNotMatchCertificate(
            keyPath: url.appendingPathComponent("worker-1-key.pem").path,
            certificatePath: url.appendingPathComponent("worker-1.pem").path)) {
            _ = try WorkerTLS.load(directory: url, certName: "worker-1")
        }
        // A worker certificate (with its key) from another run.
        for suffix in [".pem", "-key.pem"] {
            try FileManager.default.removeItem(at: url.appendingPathComponent("worker-2\(suffix)"))
            try FileManager.default.copyItem(
                at: other.url.appendingPathComponent("worker-1\(suffix)"), to: url.appendingPathComponent("worker-2\(suffix)"))
        }
        #expect(throws: TransportSecurityError.notSignedByCA(
            path: url.appendingPathComponent("worker-2.pem").path, caPath: url.appendingPathComponent("ca.pem").path)) {
            _ = try WorkerTLS.load(directory: url, certName: "worker-2")
        }
        // A file that is not PEM.
        try "not a certificate\n".write(to: url.appendingPathComponent("learner.pem"), atomically: true, encoding: .utf8)
        #expect {
            _ = try LearnerTLS.load(directory: url)
        } throws: { error in
            guard case .invalidCertificate(let path, _) = error as? TransportSecurityError else { return false }
            return path.hasSuffix("/learner.pem")
        }
    }

    @Test("a key where a certificate belongs, an encrypted key, a leaf as the CA and a client certificate for the learner are each named",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func wrongFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 1)
        func path(_ name: String) -> String { dir.url.appendingPathComponent(name).path }
        func copy(_ from: String, _ to: String) throws {
            try FileManager.default.removeItem(atPath: path(to))
            try FileManager.default.copyItem(atPath: path(from), toPath: path(to))
        }
        let original = try Self.text(dir.url.appendingPathComponent("learner.pem"))
        let originalKey = try Self.text(dir.url.appendingPathComponent("learner-key.pem"))
        // The learner's key where its certificate belongs: the PEM label says so.
        try copy("learner-key.pem", "learner.pem")
        #expect(throws: TransportSecurityError.invalidCertificate(
            path: path("learner.pem"), reason: "it holds a PRIVATE KEY, not a CERTIFICATE")) {
            _ = try LearnerTLS.load(directory: dir.url)
        }
        // A worker's certificate and key for the learner: it is a client certificate.
        try copy("worker-1.pem", "learner.pem")
        try copy("worker-1-key.pem", "learner-key.pem")
        #expect(throws: TransportSecurityError.wrongCertificatePurpose(path: path("learner.pem"), expected: .learner)) {
            _ = try LearnerTLS.load(directory: dir.url)
        }
        try original.write(toFile: path("learner.pem"), atomically: true, encoding: .utf8)
        try originalKey.write(toFile: path("learner-key.pem"), atomically: true, encoding: .utf8)
        // A password-protected key is refused with OpenSSL's reason (nothing asks for the password).
        let encrypt = Process()
        encrypt.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        encrypt.arguments = ["pkey", "-in", path("learner-key.pem"), "-aes256", "-passout", "pass:secret",
                             "-out", path("encrypted-key.pem")]
        try encrypt.run()
        encrypt.waitUntilExit()
        #expect(encrypt.terminationStatus == 0)
        try copy("encrypted-key.pem", "learner-key.pem")
        #expect(try Self.text(dir.url.appendingPathComponent("learner-key.pem")).contains("ENCRYPTED PRIVATE KEY"))
        #expect {
            _ = try LearnerTLS.load(directory: dir.url)
        } throws: { error in
            guard case .invalidPrivateKey(let keyPath, let reason) = error as? TransportSecurityError else { return false }
            return keyPath == path("learner-key.pem") && !reason.isEmpty
        }
        try originalKey.write(toFile: path("learner-key.pem"), atomically: true, encoding: .utf8)
        #expect(throws: Never.self) { _ = try LearnerTLS.load(directory: dir.url) }
        // The learner's certificate where the CA belongs: it is not a CA.
        try copy("learner.pem", "ca.pem")
        #expect(throws: TransportSecurityError.notACertificateAuthority(path: path("ca.pem"))) {
            _ = try LearnerTLS.load(directory: dir.url)
        }
    }

    @Test("an expired certificate is reported with its date before any connection")
    func expired() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try CertificateBundle.create(in: dir.url, learnerHosts: ["localhost"], workers: 1, validityDays: 2)
        let later = Date().addingTimeInterval(3 * 86_400)
        #expect {
            _ = try LearnerTLS.load(directory: dir.url, now: later)
        } throws: { error in
            guard let error = error as? TransportSecurityError, case .certificateExpired = error else { return false }
            return error.description.contains("expired on") && error.description.contains("ppo certs --force")
        }
        let earlier = Date().addingTimeInterval(-86_400)
        #expect {
            _ = try WorkerTLS.load(directory: dir.url, certName: "worker-1", now: earlier)
        } throws: { error in
            guard case .certificateNotYetValid = error as? TransportSecurityError else { return false }
            return true
        }
    }
}
