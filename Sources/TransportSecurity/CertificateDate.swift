import Foundation

/// Certificate dates as errors and `ppo certs` print them: in UTC, so that hosts in different zones agree.
public enum CertificateDate {
    /// `2026-05-01 12:00:00 UTC`, or `2026-05-01 12:00 UTC` without the seconds.
    public static func text(_ date: Date, seconds: Bool = true) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = seconds ? "yyyy-MM-dd HH:mm:ss 'UTC'" : "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}
