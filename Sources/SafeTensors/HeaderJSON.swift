/// A JSON value of a safetensors header.
///
/// The header is untrusted input, so it gets its own small strict parser (RFC 8259) instead of a general one:
/// integers stay exact (no round trip through Double, which would blur offsets above 2⁵³), duplicate keys
/// are rejected (they would make a tensor ambiguous) and nesting depth is bounded (no stack overflow).
enum HeaderJSON {
    case object([String: HeaderJSON])
    case array([HeaderJSON])
    case string(String)
    /// A number without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number, kept as written.
    case number(String)
    case bool(Bool)
    case null

    /// Name of the value's type, for messages.
    var typeName: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .integer, .number: "number"
        case .bool: "boolean"
        case .null: "null"
        }
    }

    struct ParseError: Error {
        let offset: Int
        let reason: String
    }

    /// Parses one value surrounded by optional whitespace (safetensors pads headers with spaces).
    /// `bytes` must be valid UTF-8.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> HeaderJSON {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.at == bytes.count else { throw parser.fail("unexpected text after the top-level value") }
        return value
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var at = 0
        static let maxDepth = 64

        func fail(_ reason: String) -> ParseError { ParseError(offset: at, reason: reason) }

        var next: UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func skipWhitespace() {
            while let c = next, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { at += 1 }
        }

        mutating func expect(_ c: UInt8) throws(ParseError) {
            guard next == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
            at += 1
        }

        mutating func value(depth: Int) throws(ParseError) -> HeaderJSON {
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
            guard let c = next else { throw fail("unexpected end of header") }
            switch c {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let n = word.utf8CodeUnitCount
            guard at + n <= bytes.count,
                  word.withUTF8Buffer({ w in (0..<n).allSatisfy { bytes[at + $0] == w[$0] } })
            else { throw fail("expected \(word)") }
            at += n
        }

        mutating func object(depth: Int) throws(ParseError) -> HeaderJSON {
            at += 1  // {
            var members: [String: HeaderJSON] = [:]
            skipWhitespace()
            if next == UInt8(ascii: "}") { at += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard next == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let keyOffset = at
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                let value = try value(depth: depth + 1)
                guard members.updateValue(value, forKey: key) == nil else {
                    throw ParseError(offset: keyOffset, reason: "duplicate key \"\(key)\"")
                }
                skipWhitespace()
                if next == UInt8(ascii: ",") { at += 1; continue }
                try expect(UInt8(ascii: "}"))
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(ParseError) -> HeaderJSON {
            at += 1  // [
            var elements: [HeaderJSON] = []
            skipWhitespace()
            if next == UInt8(ascii: "]") { at += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                if next == UInt8(ascii: ",") { at += 1; continue }
                try expect(UInt8(ascii: "]"))
                return .array(elements)
            }
        }

        /// A string starting at the opening quote. Unescaped text is copied as is (the header is valid UTF-8).
        mutating func string() throws(ParseError) -> String {
            at += 1  // "
            var utf8: [UInt8] = []
            var runStart = at
            while true {
                guard let c = next else { throw fail("unterminated string") }
                switch c {
                case UInt8(ascii: "\""):
                    utf8.append(contentsOf: bytes[runStart..<at])
                    at += 1
                    return String(decoding: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    utf8.append(contentsOf: bytes[runStart..<at])
                    at += 1
                    try escape(into: &utf8)
                    runStart = at
                case ..<0x20:
                    throw fail("control character in a string")
                default:
                    at += 1
                }
            }
        }

        /// The escape after a backslash, appended as UTF-8.
        mutating func escape(into utf8: inout [UInt8]) throws(ParseError) {
            guard let c = next else { throw fail("unterminated escape") }
            at += 1
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(c)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {  // high surrogate: a low one must follow
                    guard next == UInt8(ascii: "\\") else { throw fail("unpaired surrogate") }
                    at += 1
                    guard next == UInt8(ascii: "u") else { throw fail("unpaired surrogate") }
                    at += 1
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let s = Unicode.Scalar(scalar) else { throw fail("unpaired surrogate") }
                utf8.append(contentsOf: String(Character(s)).utf8)
            default:
                throw fail("invalid escape")
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard at + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[at]
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | UInt32(digit)
                at += 1
            }
            return v
        }

        /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`
        mutating func number() throws(ParseError) -> HeaderJSON {
            let start = at
            var isInteger = true
            if next == UInt8(ascii: "-") { at += 1 }
            if next == UInt8(ascii: "0") {
                at += 1
            } else {
                guard digits() > 0 else { throw fail("invalid number") }
            }
            if next == UInt8(ascii: ".") {
                at += 1
                isInteger = false
                guard digits() > 0 else { throw fail("invalid number") }
            }
            if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                at += 1
                isInteger = false
                if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { at += 1 }
                guard digits() > 0 else { throw fail("invalid number") }
            }
            let text = String(decoding: bytes[start..<at], as: UTF8.self)
            if isInteger, let value = Int(text) { return .integer(value) }
            return .number(text)
        }

        /// Skips decimal digits, returning how many.
        mutating func digits() -> Int {
            let start = at
            while let c = next, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { at += 1 }
            return at - start
        }
    }
}
