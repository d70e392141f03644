// The strict JSON parser and writer: values, escapes, positions in errors, and a round trip.
import RaiseKit
import RaiseTestSupport
import XCTest

final class JSONTests: XCTestCase {
    func testParsesEveryValueKind() throws {
        let value = try JSONValue.parse(#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\n\u00e9\ud83d\ude00", "c": {}} "#)
        let object = try XCTUnwrap(value.objectValue)
        XCTAssertEqual(object.keys, ["a", "b", "c"])
        XCTAssertEqual(object["a"], .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]))
        XCTAssertEqual(object["b"], .string("x\"\\/\né😀"))
        XCTAssertEqual(object["c"], .object(JSONObject()))
    }

    func testErrorsCarryLineAndColumn() {
        let cases: [(String, Int, Int, String)] = [
            ("{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7, "expected ':'"),
            ("[1, 2", 1, 6, "end of input"),
            ("{\"a\": 01}", 1, 7, "leading zero"),
            ("{\"a\": 1} x", 1, 10, "after the JSON value"),
            ("\"tab\there\"", 1, 5, "control character"),
            ("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key 'a'"),
            ("[\"\\ud800\"]", 1, 9, "surrogate"),
            ("nul", 1, 1, "expected 'null'"),
        ]
        for (text, line, column, fragment) in cases {
            XCTAssertThrowsError(try JSONValue.parse(text), text) { error in
                let e = error as! JSONError
                XCTAssertEqual([e.line, e.column], [line, column], "\(text): \(e)")
                XCTAssertTrue(e.message.contains(fragment), "\(text): \(e)")
            }
        }
    }

    func testRejectsInvalidUTF8AndDeepNesting() {
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22])) { XCTAssertTrue("\($0)".contains("UTF-8")) }
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 10_000))) { XCTAssertTrue("\($0)".contains("nesting")) }
    }

    func testSerializeRoundTrips() throws {
        let value = JSONValue.object(JSONObject([
            ("name", .string("q\"\u{1}\n")), ("n", .number(3)), ("x", .number(0.25)), ("list", .array([.null, .bool(true)])),
        ]))
        XCTAssertEqual(value.serialized, #"{"name":"q\"\u0001\n","n":3,"x":0.25,"list":[null,true]}"#)
        XCTAssertEqual(try JSONValue.parse(value.serialized), value)
    }
}
