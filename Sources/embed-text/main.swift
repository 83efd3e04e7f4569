import Foundation

// embed-text INPUT OUTPUT NAME: writes OUTPUT, a Swift file declaring `enum NAME { static let source: String }`
// holding INPUT's text exactly (a raw string literal with enough `#`s that nothing in the text ends or escapes it).
let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: embed-text INPUT OUTPUT NAME\n".utf8))
    exit(2)
}
do {
    let text = try String(contentsOfFile: arguments[1], encoding: .utf8)
    var longest = 0
    var run = 0
    for character in text {
        run = character == "#" ? run + 1 : 0
        longest = max(longest, run)
    }
    let hashes = String(repeating: "#", count: longest + 1)
    let swift = """
        // Generated at build time from \(URL(fileURLWithPath: arguments[1]).lastPathComponent); edit that file.
        enum \(arguments[3]) {
            static let source = \(hashes)\"\"\"
        \(text)
        \"\"\"\(hashes)
        }

        """
    try swift.write(toFile: arguments[2], atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("embed-text: \(error)\n".utf8))
    exit(1)
}
