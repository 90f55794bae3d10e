import PatchCore
import Testing

@Suite struct JSONParserTests {
    // MARK: Valid documents

    @Test func nestedDocumentKeepsStructureAndKeyOrder() throws {
        let text = """
            {
                "z": [1, [2, [3, {"deep": [true, false, null]}]]],
                "a": {"b": {"c": {}}, "d": []},
                "m": "text"
            }
            """
        let value = try JSONParser.parse(text)
        let expected: JSONValue = .object([
            (
                "z",
                .array([
                    .number("1"),
                    .array([
                        .number("2"),
                        .array([.number("3"), .object([("deep", .array([.bool(true), .bool(false), .null]))])]),
                    ]),
                ])
            ),
            ("a", .object([("b", .object([("c", .object([]))])), ("d", .array([]))])),
            ("m", .string("text")),
        ])
        #expect(value == expected)
        // Key order is the document's, not sorted.
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["z", "a", "m"])
    }

    @Test func duplicateKeysAreKeptInOrder() throws {
        let value = try JSONParser.parse(#"{"a": 1, "a": 2}"#)
        #expect(value == .object([("a", .number("1")), ("a", .number("2"))]))
        // The subscript sees the first occurrence.
        #expect(value["a"] == .number("1"))
    }

    struct Scalar: Sendable, CustomTestStringConvertible {
        let json: String
        let value: JSONValue
        var testDescription: String { json }
    }

    static let scalars: [Scalar] = [
        Scalar(json: "true", value: .bool(true)),
        Scalar(json: "false", value: .bool(false)),
        Scalar(json: "null", value: .null),
        Scalar(json: #""""#, value: .string("")),
        Scalar(json: #""plain""#, value: .string("plain")),
        Scalar(json: #""\"\\\/\b\f\n\r\t""#, value: .string("\"\\/\u{08}\u{0C}\n\r\t")),
        Scalar(json: #""\u0041\u00e9\u00E9""#, value: .string("Aéé")),
        Scalar(json: #""\u0000""#, value: .string("\u{0}")),
        Scalar(json: #""\u001f\u007F""#, value: .string("\u{1F}\u{7F}")),
        Scalar(json: #""\u2028\u2029""#, value: .string("\u{2028}\u{2029}")),
        Scalar(json: #""\uD83D\uDE00""#, value: .string("😀")),
        Scalar(json: #""\ud834\udd1e clef""#, value: .string("𝄞 clef")),
        Scalar(json: #""\uDBFF\uDFFF""#, value: .string("\u{10FFFF}")),
        Scalar(json: #""a\uD83D\uDE00b\n""#, value: .string("a😀b\n")),
        Scalar(json: "\"raw é ü 日本 😀\"", value: .string("raw é ü 日本 😀")),
        Scalar(json: "\"\u{7F}\"", value: .string("\u{7F}")),
        // Numbers keep their literal text, so 1.0 is not 1 and 1E2 is not 100.
        Scalar(json: "0", value: .number("0")),
        Scalar(json: "-0", value: .number("-0")),
        Scalar(json: "7", value: .number("7")),
        Scalar(json: "-12", value: .number("-12")),
        Scalar(json: "1.0", value: .number("1.0")),
        Scalar(json: "1.50", value: .number("1.50")),
        Scalar(json: "0.068", value: .number("0.068")),
        Scalar(json: "1525194800.068", value: .number("1525194800.068")),
        Scalar(json: "1.550244180465E9", value: .number("1.550244180465E9")),
        Scalar(json: "1e2", value: .number("1e2")),
        Scalar(json: "1E+2", value: .number("1E+2")),
        Scalar(json: "-2.5e-3", value: .number("-2.5e-3")),
        Scalar(json: "123456789012345678901234567890", value: .number("123456789012345678901234567890")),
    ]

    @Test(arguments: scalars)
    func scalar(_ c: Scalar) throws {
        #expect(try JSONParser.parse(c.json) == c.value)
        // The same inside an array and as an object member.
        #expect(try JSONParser.parse("[\(c.json)]") == .array([c.value]))
        #expect(try JSONParser.parse("{\"k\":\(c.json)}") == .object([("k", c.value)]))
    }

    @Test func numbersAreNotNormalised() throws {
        #expect(try JSONParser.parse("1.0") != JSONParser.parse("1"))
        #expect(try JSONParser.parse("7").integerValue == 7)
        #expect(try JSONParser.parse("7.0").integerValue == nil)
        #expect(try JSONParser.parse("7e0").integerValue == nil)
        #expect(try JSONParser.parse("99999999999999999999").integerValue == nil)
        #expect(try JSONParser.parse("-0").integerValue == 0)
    }

    @Test func byteOrderMarkIsTolerated() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try JSONParser.parse(bytes: bom + Array(#"{"a": 1}"#.utf8)) == .object([("a", .number("1"))]))
        #expect(try JSONParser.parse(bytes: bom + Array("  [] \n".utf8)) == .array([]))
        // Only one, and only at the very start.
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes: bom + bom + Array("[]".utf8)) }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes: Array(" ".utf8) + bom + Array("[]".utf8)) }
        // A BOM alone is an empty document.
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes: bom) }
    }

    @Test func whitespaceOfAllFourKindsIsSkipped() throws {
        #expect(
            try JSONParser.parse(" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n")
                == .array([.number("1"), .number("2")]))
        #expect(try JSONParser.parse("{ \"a\" \n: \n1 }") == .object([("a", .number("1"))]))
    }

    @Test func stringAndByteEntryPointsAgree() throws {
        let text = #"{"name": "caf\u00e9", "raw": "café"}"#
        #expect(try JSONParser.parse(text) == JSONParser.parse(bytes: Array(text.utf8)))
        #expect(try JSONParser.parse(text)["name"] == JSONParser.parse(text)["raw"])
    }

    @Test func accessors() throws {
        let value = try JSONParser.parse(#"{"s": "x", "n": 3, "o": {"k": null}}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["n"]?.stringValue == nil)
        #expect(value["n"]?.integerValue == 3)
        #expect(value["o"]?["k"] == .null)
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([])["s"] == nil)
        #expect(JSONValue.null.typeName == "null")
        #expect(JSONValue.bool(true).typeName == "a boolean")
        #expect(JSONValue.number("1").typeName == "a number")
        #expect(JSONValue.string("").typeName == "a string")
        #expect(JSONValue.array([]).typeName == "an array")
        #expect(JSONValue.object([]).typeName == "an object")
    }

    // MARK: Invalid documents: the message and exactly where

    struct Bad: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let line: Int
        let column: Int
        let message: String

        init(_ name: String, _ text: String, _ line: Int, _ column: Int, _ message: String) {
            self.init(name, bytes: Array(text.utf8), line, column, message)
        }

        init(_ name: String, bytes: [UInt8], _ line: Int, _ column: Int, _ message: String) {
            self.name = name
            self.bytes = bytes
            self.line = line
            self.column = column
            self.message = message
        }

        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad("empty", "", 1, 1, "unexpected end of input, expected a value"),
        Bad("whitespace only", "  \n  ", 2, 3, "unexpected end of input, expected a value"),
        Bad("trailing comma in an array", "[1, 2,]", 1, 7, "unexpected character ']', expected a value"),
        Bad("trailing comma in an object", #"{"a": 1,}"#, 1, 9, "expected a quoted key, found character '}'"),
        Bad(
            "trailing comma on its own line", "{\n    \"Name\": \"x\",\n}", 3, 1,
            "expected a quoted key, found character '}'"),
        Bad("missing colon", #"{"a" 1}"#, 1, 6, #"expected ':' after key "a", found character '1'"#),
        Bad(
            "missing colon on line 3", "{\n  \"ok\": 1,\n  \"Name\" \"x\"\n}", 3, 10,
            #"expected ':' after key "Name", found character '"'"#),
        Bad("missing comma in an array", "[1 2]", 1, 4, "expected ',' or ']' in an array, found character '2'"),
        Bad(
            "missing comma in an object", #"{"a":1 "b":2}"#, 1, 8,
            "expected ',' or '}' in an object, found character '\"'"),
        Bad("unclosed array", "[1, 2", 1, 6, "unexpected end of input inside an array"),
        Bad("unclosed object", #"{"a": 1"#, 1, 8, "unexpected end of input inside an object"),
        Bad("object ends after a comma", #"{"a": 1,"#, 1, 9, "unexpected end of input inside an object"),
        Bad("unterminated string", #"{"a": "abc"#, 1, 7, "unterminated string"),
        Bad("unterminated string ending in a backslash", #"["ab\"#, 1, 2, "unterminated string"),
        Bad("unterminated key", #"{"ab"#, 1, 2, "unterminated string"),
        Bad("raw newline in a string", "[\n  \"abc\ndef\"]", 2, 7, "control character in a string (escape it)"),
        Bad("raw tab in a string", "[\"a\tb\"]", 1, 4, "control character in a string (escape it)"),
        Bad("raw NUL in a string", "[\"a\u{0}\"]", 1, 4, "control character in a string (escape it)"),
        Bad("leading zero", "[01]", 1, 3, "invalid number: leading zero"),
        Bad("negative leading zero", #"{"n": -007}"#, 1, 9, "invalid number: leading zero"),
        Bad("lone minus", "[-]", 1, 3, "invalid number: expected a digit"),
        Bad("minus Infinity", "-Infinity", 1, 2, "invalid number: expected a digit"),
        Bad("dot without digits", "[1.]", 1, 4, "invalid number: expected a digit after '.'"),
        Bad("exponent without digits", "1e", 1, 3, "invalid number: expected a digit in the exponent"),
        Bad("exponent sign without digits", "1e+", 1, 4, "invalid number: expected a digit in the exponent"),
        Bad("leading plus", "+1", 1, 1, "unexpected character '+', expected a value"),
        Bad("leading dot", ".5", 1, 1, "unexpected character '.', expected a value"),
        Bad("NaN", "[NaN]", 1, 2, "unexpected character 'N', expected a value"),
        Bad("hex number", "0x10", 1, 2, "unexpected character 'x' after the end of the document"),
        Bad("truncated literal", "[tru]", 1, 2, "invalid literal, expected 'true'"),
        Bad("capitalised literal", "True", 1, 1, "unexpected character 'T', expected a value"),
        Bad("null misspelt", "nul", 1, 1, "invalid literal, expected 'null'"),
        Bad("single quotes", "{'a': 1}", 1, 2, "expected a quoted key, found character '''"),
        Bad("unquoted key", "{a: 1}", 1, 2, "expected a quoted key, found character 'a'"),
        Bad("comment", "// baseline\n{}", 1, 1, "unexpected character '/', expected a value"),
        Bad("block comment inside", "{/* x */}", 1, 2, "expected a quoted key, found character '/'"),
        Bad("garbage after the document", "{} x", 1, 4, "unexpected character 'x' after the end of the document"),
        Bad("second document", "{}\n{}", 2, 1, "unexpected character '{' after the end of the document"),
        Bad("two numbers", "1 2", 1, 3, "unexpected character '2' after the end of the document"),
        Bad("stray closer", "[]]", 1, 3, "unexpected character ']' after the end of the document"),
        Bad("NUL after the document", "{}\u{0}", 1, 3, "unexpected byte 0x0 after the end of the document"),
        Bad("invalid escape", #"["\x"]"#, 1, 4, #"invalid escape '\x' in a string"#),
        Bad("escaped single quote", #"["it\'s"]"#, 1, 6, #"invalid escape '\'' in a string"#),
        Bad("escape of a control byte", "[\"\\\u{1}\"]", 1, 4, "invalid escape '\\' followed by byte 0x1 in a string"),
        Bad("uppercase U escape", #"["\U0041"]"#, 1, 4, #"invalid escape '\U' in a string"#),
        Bad("bad hex digit", #"["\u00G1"]"#, 1, 7, #"invalid hex digit in a \u escape"#),
        Bad("short unicode escape", #"["\u12"]"#, 1, 7, #"invalid hex digit in a \u escape"#),
        Bad("truncated unicode escape at the end", #""\u12"#, 1, 4, #"truncated \u escape"#),
        Bad("lone high surrogate", #"["\uD800"]"#, 1, 3, #"unpaired surrogate in a \u escape"#),
        Bad("lone high surrogate at the end", #"["x\uDBFF"#, 1, 4, #"unpaired surrogate in a \u escape"#),
        Bad("lone low surrogate", #"["\uDC00"]"#, 1, 3, #"unpaired surrogate in a \u escape"#),
        Bad("high surrogate then a letter", #"["a\uD800\u0041"]"#, 1, 4, #"unpaired surrogate in a \u escape"#),
        Bad("two high surrogates", #"["\uD83D\uD83D"]"#, 1, 3, #"unpaired surrogate in a \u escape"#),
        Bad("high surrogate then text", #"["\uD83Dxy"]"#, 1, 3, #"unpaired surrogate in a \u escape"#),
        Bad("surrogate in a key", #"{"\uDE00": 1}"#, 1, 3, #"unpaired surrogate in a \u escape"#),
        // Columns count characters, not bytes.
        Bad("column counts characters", "[\"é日😀\", x]", 1, 9, "unexpected character 'x', expected a value"),
        Bad("error on a later line after CRLF", "[\r\n1,\r\n]", 3, 1, "unexpected character ']', expected a value"),
        // A byte order mark takes no column.
        Bad(
            "column after a byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array("[1,]".utf8), 1, 4,
            "unexpected character ']', expected a value"),
        Bad(
            "invalid UTF-8 in a string", bytes: Array(#"["ab"#.utf8) + [0xFF] + Array(#"c"]"#.utf8), 1, 5,
            "invalid UTF-8 in a string"),
        Bad(
            "invalid UTF-8 after a multibyte character", bytes: Array(#"["é"#.utf8) + [0xFF] + Array(#""]"#.utf8), 1, 4,
            "invalid UTF-8 in a string"),
        Bad(
            "invalid UTF-8 after an escape", bytes: Array(#"["\n"#.utf8) + [0x80] + Array(#""]"#.utf8), 1, 5,
            "invalid UTF-8 in a string"),
        Bad(
            "overlong encoding of '/'", bytes: Array(#"["a"#.utf8) + [0xC0, 0xAF] + Array(#""]"#.utf8), 1, 4,
            "invalid UTF-8 in a string"),
        Bad(
            "UTF-8 encoded surrogate", bytes: Array(#"["x"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""]"#.utf8), 1, 4,
            "invalid UTF-8 in a string"),
        Bad(
            "truncated UTF-8 sequence", bytes: Array(#"["€"#.utf8) + [0xE2, 0x82] + Array(#""]"#.utf8), 1, 4,
            "invalid UTF-8 in a string"),
        Bad(
            "code point above U+10FFFF", bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, 2, "invalid UTF-8 in a string"),
        Bad(
            "invalid UTF-8 in a key on line 2", bytes: Array("{\n \"k".utf8) + [0xFE] + Array("\": 1}".utf8), 2, 4,
            "invalid UTF-8 in a string"),
        Bad(
            "invalid UTF-8 outside strings", bytes: [0x5B, 0xFF, 0x5D], 1, 2, "unexpected byte 0xFF, expected a value"),
        Bad(
            "UTF-16 document", bytes: [0xFF, 0xFE, 0x5B, 0x00, 0x5D, 0x00], 1, 1,
            "unexpected byte 0xFF, expected a value"),
    ]

    @Test(arguments: bad)
    func invalid(_ c: Bad) {
        #expect {
            try JSONParser.parse(bytes: c.bytes)
        } throws: { error in
            guard let e = error as? JSONSyntaxError else { return false }
            #expect(e.line == c.line, "line")
            #expect(e.column == c.column, "column")
            #expect(e.message == c.message)
            #expect(e.description == "line \(c.line), column \(c.column): \(c.message)")
            return true
        }
    }

    // MARK: Nesting

    @Test(arguments: [1, 2, 100, 255, 256])
    func nestingUpToTheLimitIsAccepted(_ depth: Int) throws {
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSONParser.parse(arrays)
        var seen = 0
        while case .array(let inner) = value {
            seen += 1
            value = inner.first ?? .null
        }
        #expect(seen == depth)
        // Objects count the same as arrays.
        let objects = String(repeating: #"{"k":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
        _ = try JSONParser.parse(objects)
        #expect(JSONParser.maximumDepth == 256)
    }

    @Test(arguments: [257, 1000, 100_000])
    func nestingBeyondTheLimitIsAnErrorNotACrash(_ depth: Int) {
        let unclosed = String(repeating: "[", count: depth)
        let closed = unclosed + String(repeating: "]", count: depth)
        let mixed = String(repeating: #"{"a":["#, count: depth / 2 + 1)
        for text in [unclosed, closed] {
            #expect {
                try JSONParser.parse(text)
            } throws: { error in
                let e = error as? JSONSyntaxError
                return e?.line == 1 && e?.column == 257 && e?.message == "nesting deeper than 256 levels"
            }
        }
        #expect {
            try JSONParser.parse(mixed)
        } throws: { error in
            (error as? JSONSyntaxError)?.message == "nesting deeper than 256 levels"
        }
    }

    // MARK: Writer

    @Test func prettyOutputIsIndentedByFourSpaces() {
        let value: JSONValue = .object([
            ("Name", .string("x")),
            ("Empty", .array([])),
            ("EmptyObject", .object([])),
            ("List", .array([.number("1"), .bool(true), .null])),
            ("Nested", .object([("A", .object([("B", .string("c"))]))])),
        ])
        #expect(
            JSONWriter.write(value) == """
                {
                    "Name": "x",
                    "Empty": [],
                    "EmptyObject": {},
                    "List": [
                        1,
                        true,
                        null
                    ],
                    "Nested": {
                        "A": {
                            "B": "c"
                        }
                    }
                }
                """)
        #expect(
            JSONWriter.write(value, pretty: false)
                == #"{"Name":"x","Empty":[],"EmptyObject":{},"List":[1,true,null],"Nested":{"A":{"B":"c"}}}"#)
    }

    @Test func stringEscaping() {
        #expect(JSONWriter.write(.string("\"\\/\n\r\t\u{08}\u{0C}")) == #""\"\\/\n\r\t\b\f""#)
        #expect(JSONWriter.write(.string("\u{0}\u{1}\u{1F}\u{7F}")) == #""\u0000\u0001\u001f\u007f""#)
        #expect(JSONWriter.write(.string("\u{2028}\u{2029}")) == #""\u2028\u2029""#)
        #expect(JSONWriter.write(.string("é日😀")) == "\"é日😀\"")
        #expect(JSONWriter.write(.object([("k\"\n", .null)]), pretty: false) == #"{"k\"\n":null}"#)
    }

    struct Sample: Sendable, CustomTestStringConvertible {
        let value: JSONValue
        var testDescription: String {
            let text = JSONWriter.write(value, pretty: false)
            return text.count > 60 ? String(text.prefix(57)) + "..." : text
        }
    }

    static let roundTripValues: [Sample] = {
        let allControl = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init)))
        let strings: [String] = [
            "", "plain", allControl, "\u{7F}", "\u{2028}\u{2029}", "\"quoted\" \\ back/slash",
            "é日😀𝄞\u{10FFFF}", "tab\there\nnewline\r\n", "\u{0}", "ends with backslash \\",
            "combining e\u{301} and \u{1F1EB}\u{1F1F7}", "line1\nline2\u{0B}\u{0C}",
        ]
        var values: [JSONValue] = [.null, .bool(true), .bool(false)]
        values += ["0", "-0", "1", "-1", "1.5", "1525194800.068", "1E+10", "-2.5e-3", "123456789012345678901234567890"]
            .map(JSONValue.number)
        values += strings.map(JSONValue.string)
        values.append(.array(values))
        values.append(.object(strings.enumerated().map { ($0.element, .number(String($0.offset))) }))
        values.append(.array([.array([]), .object([]), .array([.array([.array([])])])]))
        values.append(
            .object([
                ("a", .object([("b", .array([.string(allControl), .object([("c", .null)])]))])),
                ("a", .bool(false)),
            ]))
        return values.map(Sample.init)
    }()

    @Test(arguments: roundTripValues)
    func writeThenParseIsTheIdentity(_ sample: Sample) throws {
        let value = sample.value
        for pretty in [true, false] {
            let text = JSONWriter.write(value, pretty: pretty)
            #expect(try JSONParser.parse(text) == value)
            // The writer's output is pure printable text: no raw control characters.
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        }
    }

    @Test func equalityIsStructural() {
        #expect(JSONValue.object([("a", .null), ("b", .null)]) != .object([("b", .null), ("a", .null)]))
        #expect(JSONValue.object([("a", .null)]) != .object([("a", .null), ("a", .null)]))
        #expect(JSONValue.array([.null]) != .array([]))
        #expect(JSONValue.string("1") != .number("1"))
        #expect(JSONValue.bool(false) != .null)
    }
}
