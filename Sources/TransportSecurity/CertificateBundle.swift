import Foundation

/// The PEM files of one run, in one directory (`--tls-dir`):
///
/// | file | holds | needed by |
/// |---|---|---|
/// | `ca.pem` | the run's CA certificate | every host |
/// | `ca-key.pem` | the CA's private key | only the machine that issues certificates |
/// | `learner.pem`, `learner-key.pem` | the learner's server certificate and key | the learner |
/// | `worker-N.pem`, `worker-N-key.pem` | worker N's client certificate and key | worker N |
///
/// Certificates are mode 0644, private keys 0600. All keys are ECDSA P-256; serial numbers are random.
public struct CertificateBundle: Sendable {
    /// File name of the CA certificate.
    public static let caCertificateFile = "ca.pem"
    /// File name of the CA private key.
    public static let caKeyFile = "ca-key.pem"
    /// File name of the learner's certificate.
    public static let learnerCertificateFile = "learner.pem"
    /// File name of the learner's private key.
    public static let learnerKeyFile = "learner-key.pem"
    /// File name of a worker's certificate (`worker-1.pem`).
    public static func workerCertificateFile(_ name: String) -> String { "\(name).pem" }
    /// File name of a worker's private key (`worker-1-key.pem`).
    public static func workerKeyFile(_ name: String) -> String { "\(name)-key.pem" }
    /// The name `create` gives the i-th worker (1-based): `worker-i`.
    public static func workerName(_ index: Int) -> String { "worker-\(index)" }

    /// The directory the files are in.
    public let directory: URL
    /// The learner certificate's subject alternative names, in the order given.
    public let learnerHosts: [HostAddress]
    /// The workers that have a certificate (`worker-1`, …).
    public let workerNames: [String]
    /// When the certificates stop being valid.
    public let notValidAfter: Date
    /// Every file written, in the order written.
    public let files: [URL]
    /// `.pem` files that were already in the directory and were left alone (after `overwrite`, for example the
    /// certificates of workers the new bundle does not have: they come from the old CA and are no longer accepted).
    public let otherPEMFiles: [URL]

    /// Creates a CA, a learner certificate naming exactly `learnerHosts` (each a DNS name, or an IP address when
    /// it parses as one; nothing is added implicitly) and `workers` worker certificates, and writes them to
    /// `directory` (created if needed).
    ///
    /// Refuses with ``TransportSecurityError/bundleExists(directory:existing:)`` when any of these files exists,
    /// unless `overwrite` is true. Everything is issued in memory before the first file is written.
    public static func create(
        in directory: URL, learnerHosts: [String], workers: Int, validityDays: Int = 365, overwrite: Bool = false
    ) throws(TransportSecurityError) -> CertificateBundle {
        guard !learnerHosts.isEmpty else { throw .noLearnerHosts }
        guard workers >= 1 else { throw .invalidWorkerCount(workers) }
        guard validityDays >= 1 else { throw .invalidValidity(days: validityDays) }
        var hosts: [HostAddress] = []
        for text in learnerHosts {
            let host = try HostAddress(parsing: text)
            if !hosts.contains(host) { hosts.append(host) }
        }
        let workerNames = (1...workers).map(workerName)

        var plan: [(name: String, text: String, isKey: Bool)] = []
        let ca = try CertificateIssuer.makeCA(validityDays: validityDays)
        plan.append((caCertificateFile, try ca.certificatePEM(), false))
        plan.append((caKeyFile, try ca.privateKeyPEM(), true))
        let learner = try CertificateIssuer.makeLearner(hosts: hosts, ca: ca, validityDays: validityDays)
        plan.append((learnerCertificateFile, try learner.certificatePEM(), false))
        plan.append((learnerKeyFile, try learner.privateKeyPEM(), true))
        for name in workerNames {
            let worker = try CertificateIssuer.makeWorker(name: name, ca: ca, validityDays: validityDays)
            plan.append((workerCertificateFile(name), try worker.certificatePEM(), false))
            plan.append((workerKeyFile(name), try worker.privateKeyPEM(), true))
        }

        try PEMFiles.makeDirectory(directory)
        let existing = plan.map(\.name).filter { PEMFiles.exists(directory.appendingPathComponent($0)) }
        if !existing.isEmpty && !overwrite {
            throw .bundleExists(directory: directory.path, existing: existing)
        }
        var files: [URL] = []
        for file in plan {
            let url = directory.appendingPathComponent(file.name)
            try PEMFiles.write(file.text, to: url, mode: file.isKey ? 0o600 : 0o644)
            files.append(url)
        }
        let written = Set(plan.map(\.name))
        let others = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".pem") && !written.contains($0) }
            .sorted()
            .map { directory.appendingPathComponent($0) }
        return CertificateBundle(
            directory: directory, learnerHosts: hosts, workerNames: workerNames,
            notValidAfter: learner.certificate.notValidAfter, files: files, otherPEMFiles: others)
    }

    /// Issues one more worker certificate from the CA of an existing bundle (`ca.pem` + `ca-key.pem` in
    /// `directory`), to add a worker or to replace a worker's certificate (`overwrite: true`).
    ///
    /// The certificate is valid for `validityDays` days but never beyond the CA's own expiry.
    public static func issueWorker(
        named name: String, in directory: URL, validityDays: Int = 365, overwrite: Bool = false
    ) throws(TransportSecurityError) -> WorkerCertificateFiles {
        try validateWorkerName(name)
        guard validityDays >= 1 else { throw .invalidValidity(days: validityDays) }
        let ca = try loadCA(from: directory)
        let certificateURL = directory.appendingPathComponent(workerCertificateFile(name))
        let keyURL = directory.appendingPathComponent(workerKeyFile(name))
        if !overwrite {
            for url in [certificateURL, keyURL] where PEMFiles.exists(url) { throw .fileExists(path: url.path) }
        }
        let worker = try CertificateIssuer.makeWorker(name: name, ca: ca, validityDays: validityDays)
        try PEMFiles.write(try worker.certificatePEM(), to: certificateURL, mode: 0o644)
        try PEMFiles.write(try worker.privateKeyPEM(), to: keyURL, mode: 0o600)
        return WorkerCertificateFiles(
            name: name, certificate: certificateURL, privateKey: keyURL,
            notValidAfter: worker.certificate.notValidAfter)
    }

    /// Refuses names that are not safe file names or that would collide with the bundle's other files
    /// (`ca`, `learner`, anything ending in `-key`).
    static func validateWorkerName(_ name: String) throws(TransportSecurityError) {
        func refuse(_ reason: String) -> TransportSecurityError { .invalidWorkerName(name, reason: reason) }
        guard !name.isEmpty, name.utf8.count <= 64 else { throw refuse("it must have 1 to 64 characters") }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar))
        }
        guard allowed else { throw refuse("it has a character that is not allowed in a file name") }
        guard let first = name.first, first != ".", first != "-" else {
            throw refuse("it starts with '.' or '-'")
        }
        guard !["ca", "learner"].contains(name.lowercased()), !name.lowercased().hasSuffix("-key") else {
            throw refuse("its files would collide with the CA's or the learner's")
        }
    }

    /// Reads `ca.pem` and `ca-key.pem` and checks that they belong together and that the CA is still valid.
    static func loadCA(from directory: URL, now: Date = Date()) throws(TransportSecurityError) -> IssuedCertificate {
        let certificateURL = directory.appendingPathComponent(caCertificateFile)
        let keyURL = directory.appendingPathComponent(caKeyFile)
        let hint = "issuing a worker certificate needs the CA of a bundle created with "
            + "`ppo certs --out \(directory.path) --learner-host HOST --workers N`"
        let certificate = try CertificateFile.parseCertificate(
            at: certificateURL, missingHint: hint)
        let key = try CertificateFile.parsePrivateKey(at: keyURL, missingHint: hint)
        guard key.matches(certificate) else {
            throw .keyDoesNotMatchCertificate(keyPath: keyURL.path, certificatePath: certificateURL.path)
        }
        try CertificateFile.checkIsCA(certificate, path: certificateURL.path)
        try CertificateFile.checkValidity(certificate, path: certificateURL.path, now: now)
        return IssuedCertificate(certificate: certificate, privateKey: key)
    }
}

/// The two files of one worker certificate issued by ``CertificateBundle/issueWorker(named:in:validityDays:overwrite:)``.
public struct WorkerCertificateFiles: Sendable {
    /// The worker's name (the certificate's common name and `--cert-name`).
    public let name: String
    /// `NAME.pem`.
    public let certificate: URL
    /// `NAME-key.pem` (mode 0600).
    public let privateKey: URL
    /// When the certificate stops being valid.
    public let notValidAfter: Date
}
