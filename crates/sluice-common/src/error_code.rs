//! ClickHouse error codes and the exception type every Sluice crate reports.
//!
//! Codes and names are ClickHouse's (`src/Common/ErrorCodes.cpp`); this file is the one
//! place where they are listed. Servers turn an [`Error`] into an HTTP status or a native
//! `Exception` packet; `sluice local` prints [`Error::to_clickhouse_string`].

use std::fmt;

/// A ClickHouse error code (`Code: N`) with its name (`(NAME)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub i32);

impl ErrorCode {
    /// ClickHouse error 0.
    pub const OK: ErrorCode = ErrorCode(0);
    /// ClickHouse error 1.
    pub const UNSUPPORTED_METHOD: ErrorCode = ErrorCode(1);
    /// ClickHouse error 2.
    pub const UNSUPPORTED_PARAMETER: ErrorCode = ErrorCode(2);
    /// ClickHouse error 3.
    pub const UNEXPECTED_END_OF_FILE: ErrorCode = ErrorCode(3);
    /// ClickHouse error 6.
    pub const CANNOT_PARSE_TEXT: ErrorCode = ErrorCode(6);
    /// ClickHouse error 7.
    pub const INCORRECT_NUMBER_OF_COLUMNS: ErrorCode = ErrorCode(7);
    /// ClickHouse error 8.
    pub const THERE_IS_NO_COLUMN: ErrorCode = ErrorCode(8);
    /// ClickHouse error 10.
    pub const NOT_FOUND_COLUMN_IN_BLOCK: ErrorCode = ErrorCode(10);
    /// ClickHouse error 12.
    pub const PARAMETER_OUT_OF_BOUND: ErrorCode = ErrorCode(12);
    /// ClickHouse error 15.
    pub const DUPLICATE_COLUMN: ErrorCode = ErrorCode(15);
    /// ClickHouse error 16.
    pub const NO_SUCH_COLUMN_IN_TABLE: ErrorCode = ErrorCode(16);
    /// ClickHouse error 19.
    pub const SIZE_OF_FIXED_STRING_DOESNT_MATCH: ErrorCode = ErrorCode(19);
    /// ClickHouse error 20.
    pub const NUMBER_OF_COLUMNS_DOESNT_MATCH: ErrorCode = ErrorCode(20);
    /// ClickHouse error 25.
    pub const CANNOT_PARSE_ESCAPE_SEQUENCE: ErrorCode = ErrorCode(25);
    /// ClickHouse error 26.
    pub const CANNOT_PARSE_QUOTED_STRING: ErrorCode = ErrorCode(26);
    /// ClickHouse error 27.
    pub const CANNOT_PARSE_INPUT_ASSERTION_FAILED: ErrorCode = ErrorCode(27);
    /// ClickHouse error 32.
    pub const ATTEMPT_TO_READ_AFTER_EOF: ErrorCode = ErrorCode(32);
    /// ClickHouse error 33.
    pub const CANNOT_READ_ALL_DATA: ErrorCode = ErrorCode(33);
    /// ClickHouse error 34.
    pub const TOO_MANY_ARGUMENTS_FOR_FUNCTION: ErrorCode = ErrorCode(34);
    /// ClickHouse error 35.
    pub const TOO_FEW_ARGUMENTS_FOR_FUNCTION: ErrorCode = ErrorCode(35);
    /// ClickHouse error 36.
    pub const BAD_ARGUMENTS: ErrorCode = ErrorCode(36);
    /// ClickHouse error 38.
    pub const CANNOT_PARSE_DATE: ErrorCode = ErrorCode(38);
    /// ClickHouse error 39.
    pub const TOO_LARGE_SIZE_COMPRESSED: ErrorCode = ErrorCode(39);
    /// ClickHouse error 40.
    pub const CHECKSUM_DOESNT_MATCH: ErrorCode = ErrorCode(40);
    /// ClickHouse error 41.
    pub const CANNOT_PARSE_DATETIME: ErrorCode = ErrorCode(41);
    /// ClickHouse error 42.
    pub const NUMBER_OF_ARGUMENTS_DOESNT_MATCH: ErrorCode = ErrorCode(42);
    /// ClickHouse error 43.
    pub const ILLEGAL_TYPE_OF_ARGUMENT: ErrorCode = ErrorCode(43);
    /// ClickHouse error 44.
    pub const ILLEGAL_COLUMN: ErrorCode = ErrorCode(44);
    /// ClickHouse error 46.
    pub const UNKNOWN_FUNCTION: ErrorCode = ErrorCode(46);
    /// ClickHouse error 47.
    pub const UNKNOWN_IDENTIFIER: ErrorCode = ErrorCode(47);
    /// ClickHouse error 48.
    pub const NOT_IMPLEMENTED: ErrorCode = ErrorCode(48);
    /// ClickHouse error 49.
    pub const LOGICAL_ERROR: ErrorCode = ErrorCode(49);
    /// ClickHouse error 50.
    pub const UNKNOWN_TYPE: ErrorCode = ErrorCode(50);
    /// ClickHouse error 51.
    pub const EMPTY_LIST_OF_COLUMNS_QUERIED: ErrorCode = ErrorCode(51);
    /// ClickHouse error 53.
    pub const TYPE_MISMATCH: ErrorCode = ErrorCode(53);
    /// ClickHouse error 55.
    pub const STORAGE_REQUIRES_PARAMETER: ErrorCode = ErrorCode(55);
    /// ClickHouse error 56.
    pub const UNKNOWN_STORAGE: ErrorCode = ErrorCode(56);
    /// ClickHouse error 57.
    pub const TABLE_ALREADY_EXISTS: ErrorCode = ErrorCode(57);
    /// ClickHouse error 59.
    pub const ILLEGAL_TYPE_OF_COLUMN_FOR_FILTER: ErrorCode = ErrorCode(59);
    /// ClickHouse error 60.
    pub const UNKNOWN_TABLE: ErrorCode = ErrorCode(60);
    /// ClickHouse error 62.
    pub const SYNTAX_ERROR: ErrorCode = ErrorCode(62);
    /// ClickHouse error 63.
    pub const UNKNOWN_AGGREGATE_FUNCTION: ErrorCode = ErrorCode(63);
    /// ClickHouse error 69.
    pub const ARGUMENT_OUT_OF_BOUND: ErrorCode = ErrorCode(69);
    /// ClickHouse error 70.
    pub const CANNOT_CONVERT_TYPE: ErrorCode = ErrorCode(70);
    /// ClickHouse error 72.
    pub const CANNOT_PARSE_NUMBER: ErrorCode = ErrorCode(72);
    /// ClickHouse error 73.
    pub const UNKNOWN_FORMAT: ErrorCode = ErrorCode(73);
    /// ClickHouse error 76.
    pub const CANNOT_OPEN_FILE: ErrorCode = ErrorCode(76);
    /// ClickHouse error 80.
    pub const INCORRECT_QUERY: ErrorCode = ErrorCode(80);
    /// ClickHouse error 81.
    pub const UNKNOWN_DATABASE: ErrorCode = ErrorCode(81);
    /// ClickHouse error 82.
    pub const DATABASE_ALREADY_EXISTS: ErrorCode = ErrorCode(82);
    /// ClickHouse error 85.
    pub const FORMAT_IS_NOT_SUITABLE_FOR_INPUT: ErrorCode = ErrorCode(85);
    /// ClickHouse error 89.
    pub const UNKNOWN_COMPRESSION_METHOD: ErrorCode = ErrorCode(89);
    /// ClickHouse error 90.
    pub const EMPTY_LIST_OF_COLUMNS_PASSED: ErrorCode = ErrorCode(90);
    /// ClickHouse error 95.
    pub const CANNOT_READ_FROM_SOCKET: ErrorCode = ErrorCode(95);
    /// ClickHouse error 99.
    pub const UNKNOWN_PACKET_FROM_CLIENT: ErrorCode = ErrorCode(99);
    /// ClickHouse error 101.
    pub const UNEXPECTED_PACKET_FROM_CLIENT: ErrorCode = ErrorCode(101);
    /// ClickHouse error 107.
    pub const FILE_DOESNT_EXIST: ErrorCode = ErrorCode(107);
    /// ClickHouse error 108.
    pub const NO_DATA_TO_INSERT: ErrorCode = ErrorCode(108);
    /// ClickHouse error 115.
    pub const UNKNOWN_SETTING: ErrorCode = ErrorCode(115);
    /// ClickHouse error 117.
    pub const INCORRECT_DATA: ErrorCode = ErrorCode(117);
    /// ClickHouse error 119.
    pub const ENGINE_REQUIRED: ErrorCode = ErrorCode(119);
    /// ClickHouse error 127.
    pub const ILLEGAL_INDEX: ErrorCode = ErrorCode(127);
    /// ClickHouse error 128.
    pub const TOO_LARGE_ARRAY_SIZE: ErrorCode = ErrorCode(128);
    /// ClickHouse error 131.
    pub const TOO_LARGE_STRING_SIZE: ErrorCode = ErrorCode(131);
    /// ClickHouse error 133.
    pub const AGGREGATE_FUNCTION_DOESNT_ALLOW_PARAMETERS: ErrorCode = ErrorCode(133);
    /// ClickHouse error 135.
    pub const ZERO_ARRAY_OR_TUPLE_INDEX: ErrorCode = ErrorCode(135);
    /// ClickHouse error 139.
    pub const NO_ELEMENTS_IN_CONFIG: ErrorCode = ErrorCode(139);
    /// ClickHouse error 141.
    pub const SAMPLING_NOT_SUPPORTED: ErrorCode = ErrorCode(141);
    /// ClickHouse error 153.
    pub const ILLEGAL_DIVISION: ErrorCode = ErrorCode(153);
    /// ClickHouse error 158.
    pub const TOO_MANY_ROWS: ErrorCode = ErrorCode(158);
    /// ClickHouse error 159.
    pub const TIMEOUT_EXCEEDED: ErrorCode = ErrorCode(159);
    /// ClickHouse error 160.
    pub const TOO_SLOW: ErrorCode = ErrorCode(160);
    /// ClickHouse error 164.
    pub const READONLY: ErrorCode = ErrorCode(164);
    /// ClickHouse error 169.
    pub const BAD_TYPE_OF_FIELD: ErrorCode = ErrorCode(169);
    /// ClickHouse error 179.
    pub const MULTIPLE_EXPRESSIONS_FOR_ALIAS: ErrorCode = ErrorCode(179);
    /// ClickHouse error 181.
    pub const ILLEGAL_FINAL: ErrorCode = ErrorCode(181);
    /// ClickHouse error 182.
    pub const ILLEGAL_PREWHERE: ErrorCode = ErrorCode(182);
    /// ClickHouse error 184.
    pub const ILLEGAL_AGGREGATION: ErrorCode = ErrorCode(184);
    /// ClickHouse error 190.
    pub const SIZES_OF_ARRAYS_DOESNT_MATCH: ErrorCode = ErrorCode(190);
    /// ClickHouse error 192.
    pub const UNKNOWN_USER: ErrorCode = ErrorCode(192);
    /// ClickHouse error 193.
    pub const WRONG_PASSWORD: ErrorCode = ErrorCode(193);
    /// ClickHouse error 194.
    pub const REQUIRED_PASSWORD: ErrorCode = ErrorCode(194);
    /// ClickHouse error 202.
    pub const TOO_MANY_SIMULTANEOUS_QUERIES: ErrorCode = ErrorCode(202);
    /// ClickHouse error 204.
    pub const CANNOT_FSYNC: ErrorCode = ErrorCode(204);
    /// ClickHouse error 207.
    pub const AMBIGUOUS_IDENTIFIER: ErrorCode = ErrorCode(207);
    /// ClickHouse error 209.
    pub const SOCKET_TIMEOUT: ErrorCode = ErrorCode(209);
    /// ClickHouse error 210.
    pub const NETWORK_ERROR: ErrorCode = ErrorCode(210);
    /// ClickHouse error 211.
    pub const EMPTY_QUERY: ErrorCode = ErrorCode(211);
    /// ClickHouse error 215.
    pub const NOT_AN_AGGREGATE: ErrorCode = ErrorCode(215);
    /// ClickHouse error 217.
    pub const CLIENT_HAS_CONNECTED_TO_WRONG_PORT: ErrorCode = ErrorCode(217);
    /// ClickHouse error 219.
    pub const DATABASE_NOT_EMPTY: ErrorCode = ErrorCode(219);
    /// ClickHouse error 229.
    pub const QUERY_IS_TOO_LARGE: ErrorCode = ErrorCode(229);
    /// ClickHouse error 232.
    pub const NO_SUCH_DATA_PART: ErrorCode = ErrorCode(232);
    /// ClickHouse error 233.
    pub const BAD_DATA_PART_NAME: ErrorCode = ErrorCode(233);
    /// ClickHouse error 236.
    pub const ABORTED: ErrorCode = ErrorCode(236);
    /// ClickHouse error 241.
    pub const MEMORY_LIMIT_EXCEEDED: ErrorCode = ErrorCode(241);
    /// ClickHouse error 242.
    pub const TABLE_IS_READ_ONLY: ErrorCode = ErrorCode(242);
    /// ClickHouse error 243.
    pub const NOT_ENOUGH_SPACE: ErrorCode = ErrorCode(243);
    /// ClickHouse error 246.
    pub const CORRUPTED_DATA: ErrorCode = ErrorCode(246);
    /// ClickHouse error 248.
    pub const INVALID_PARTITION_VALUE: ErrorCode = ErrorCode(248);
    /// ClickHouse error 252.
    pub const TOO_MANY_PARTS: ErrorCode = ErrorCode(252);
    /// ClickHouse error 257.
    pub const PARTITION_DOESNT_EXIST: ErrorCode = ErrorCode(257);
    /// ClickHouse error 258.
    pub const UNION_ALL_RESULT_STRUCTURES_MISMATCH: ErrorCode = ErrorCode(258);
    /// ClickHouse error 270.
    pub const CANNOT_COMPRESS: ErrorCode = ErrorCode(270);
    /// ClickHouse error 271.
    pub const CANNOT_DECOMPRESS: ErrorCode = ErrorCode(271);
    /// ClickHouse error 290.
    pub const LIMIT_EXCEEDED: ErrorCode = ErrorCode(290);
    /// ClickHouse error 306.
    pub const TOO_DEEP_RECURSION: ErrorCode = ErrorCode(306);
    /// ClickHouse error 321.
    pub const VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE: ErrorCode = ErrorCode(321);
    /// ClickHouse error 336.
    pub const UNKNOWN_DATABASE_ENGINE: ErrorCode = ErrorCode(336);
    /// ClickHouse error 341.
    pub const UNFINISHED: ErrorCode = ErrorCode(341);
    /// ClickHouse error 521.
    pub const ATOMIC_RENAME_FAIL: ErrorCode = ErrorCode(521);
    /// ClickHouse error 344.
    pub const SUPPORT_IS_DISABLED: ErrorCode = ErrorCode(344);
    /// ClickHouse error 349.
    pub const CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN: ErrorCode = ErrorCode(349);
    /// ClickHouse error 352.
    pub const AMBIGUOUS_COLUMN_NAME: ErrorCode = ErrorCode(352);
    /// ClickHouse error 353.
    pub const INDEX_OF_POSITIONAL_ARGUMENT_IS_OUT_OF_RANGE: ErrorCode = ErrorCode(353);
    /// ClickHouse error 372.
    pub const SESSION_NOT_FOUND: ErrorCode = ErrorCode(372);
    /// ClickHouse error 373.
    pub const SESSION_IS_LOCKED: ErrorCode = ErrorCode(373);
    /// ClickHouse error 374.
    pub const INVALID_SESSION_TIMEOUT: ErrorCode = ErrorCode(374);
    /// ClickHouse error 376.
    pub const CANNOT_PARSE_UUID: ErrorCode = ErrorCode(376);
    /// ClickHouse error 377.
    pub const ILLEGAL_SYNTAX_FOR_DATA_TYPE: ErrorCode = ErrorCode(377);
    /// ClickHouse error 378.
    pub const DATA_TYPE_CANNOT_HAVE_ARGUMENTS: ErrorCode = ErrorCode(378);
    /// ClickHouse error 381.
    pub const HTTP_LENGTH_REQUIRED: ErrorCode = ErrorCode(381);
    /// ClickHouse error 386.
    pub const NO_COMMON_TYPE: ErrorCode = ErrorCode(386);
    /// ClickHouse error 388.
    pub const CANNOT_ASSIGN_OPTIMIZE: ErrorCode = ErrorCode(388);
    /// ClickHouse error 389.
    pub const INSERT_WAS_DEDUPLICATED: ErrorCode = ErrorCode(389);
    /// ClickHouse error 390.
    pub const CANNOT_GET_CREATE_TABLE_QUERY: ErrorCode = ErrorCode(390);
    /// ClickHouse error 394.
    pub const QUERY_WAS_CANCELLED: ErrorCode = ErrorCode(394);
    /// ClickHouse error 395.
    pub const FUNCTION_THROW_IF_VALUE_IS_NON_ZERO: ErrorCode = ErrorCode(395);
    /// ClickHouse error 398.
    pub const UNKNOWN_MUTATION_COMMAND: ErrorCode = ErrorCode(398);
    /// ClickHouse error 399.
    pub const FORMAT_IS_NOT_SUITABLE_FOR_OUTPUT: ErrorCode = ErrorCode(399);
    /// ClickHouse error 403.
    pub const INVALID_JOIN_ON_EXPRESSION: ErrorCode = ErrorCode(403);
    /// ClickHouse error 407.
    pub const DECIMAL_OVERFLOW: ErrorCode = ErrorCode(407);
    /// ClickHouse error 417.
    pub const EXPECTED_ALL_OR_ANY: ErrorCode = ErrorCode(417);
    /// ClickHouse error 418.
    pub const UNKNOWN_JOIN: ErrorCode = ErrorCode(418);
    /// An UPDATE mutation names a key column.
    /// The query is refused in this context (direct SELECT from a stream table).
    pub const QUERY_NOT_ALLOWED: ErrorCode = ErrorCode(446);
    /// ClickHouse error 347.
    pub const CANNOT_LOAD_CONFIG: ErrorCode = ErrorCode(347);
    /// ClickHouse error 354.
    pub const ZLIB_INFLATE_FAILED: ErrorCode = ErrorCode(354);
    /// ClickHouse error 512.
    pub const SET_NON_GRANTED_ROLE: ErrorCode = ErrorCode(512);
    /// ALTER of a key column.
    pub const ALTER_OF_COLUMN_IS_FORBIDDEN: ErrorCode = ErrorCode(524);
    pub const CANNOT_UPDATE_COLUMN: ErrorCode = ErrorCode(420);
    /// ClickHouse error 421.
    pub const CANNOT_ADD_DIFFERENT_AGGREGATE_STATES: ErrorCode = ErrorCode(421);
    /// ClickHouse error 425.
    pub const SYSTEM_ERROR: ErrorCode = ErrorCode(425);
    /// ClickHouse error 427.
    pub const CANNOT_COMPILE_REGEXP: ErrorCode = ErrorCode(427);
    /// ClickHouse error 432.
    pub const UNKNOWN_CODEC: ErrorCode = ErrorCode(432);
    /// ClickHouse error 456.
    pub const UNKNOWN_QUERY_PARAMETER: ErrorCode = ErrorCode(456);
    /// ClickHouse error 457.
    pub const BAD_QUERY_PARAMETER: ErrorCode = ErrorCode(457);
    /// ClickHouse error 440.
    pub const INVALID_LIMIT_EXPRESSION: ErrorCode = ErrorCode(440);
    /// ClickHouse error 467.
    pub const CANNOT_PARSE_BOOL: ErrorCode = ErrorCode(467);
    /// ClickHouse error 471.
    pub const INVALID_SETTING_VALUE: ErrorCode = ErrorCode(471);
    /// ClickHouse error 472.
    pub const READONLY_SETTING: ErrorCode = ErrorCode(472);
    /// ClickHouse error 475.
    pub const INVALID_WITH_FILL_EXPRESSION: ErrorCode = ErrorCode(475);
    /// ClickHouse error 476.
    pub const WITH_TIES_WITHOUT_ORDER_BY: ErrorCode = ErrorCode(476);
    /// ClickHouse error 490.
    pub const CANNOT_FORMAT_DATETIME: ErrorCode = ErrorCode(490);
    /// ClickHouse error 497.
    pub const ACCESS_DENIED: ErrorCode = ErrorCode(497);
    /// ClickHouse error 498.
    pub const LIMIT_BY_WITH_TIES_IS_NOT_SUPPORTED: ErrorCode = ErrorCode(498);
    /// ClickHouse error 504.
    pub const FILE_ALREADY_EXISTS: ErrorCode = ErrorCode(504);
    /// ClickHouse error 516.
    pub const AUTHENTICATION_FAILED: ErrorCode = ErrorCode(516);
    /// ClickHouse error 518.
    pub const CANNOT_COMMIT_OFFSET: ErrorCode = ErrorCode(518);
    /// ClickHouse error 546.
    pub const NO_ROW_DELIMITER: ErrorCode = ErrorCode(546);
    /// ClickHouse error 618.
    pub const LZ4_DECODER_FAILED: ErrorCode = ErrorCode(618);
    /// ClickHouse error 561.
    pub const ZSTD_DECODER_FAILED: ErrorCode = ErrorCode(561);
    /// ClickHouse error 636.
    pub const CANNOT_EXTRACT_TABLE_STRUCTURE: ErrorCode = ErrorCode(636);
    /// ClickHouse error 675.
    pub const CANNOT_PARSE_IPV4: ErrorCode = ErrorCode(675);
    /// ClickHouse error 676.
    pub const CANNOT_PARSE_IPV6: ErrorCode = ErrorCode(676);
    /// ClickHouse error 721.
    pub const DEPRECATED_FUNCTION: ErrorCode = ErrorCode(721);
    /// ClickHouse error 779.
    pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode = ErrorCode(779);
    /// ClickHouse error 691.
    pub const UNKNOWN_ELEMENT_OF_ENUM: ErrorCode = ErrorCode(691);
    /// ClickHouse error 1000.
    pub const POCO_EXCEPTION: ErrorCode = ErrorCode(1000);
    /// ClickHouse error 1001.
    pub const STD_EXCEPTION: ErrorCode = ErrorCode(1001);
    /// ClickHouse error 1002.
    pub const UNKNOWN_EXCEPTION: ErrorCode = ErrorCode(1002);

    /// The numeric code.
    pub fn code(self) -> i32 {
        self.0
    }

    /// ClickHouse's name for the code, e.g. `UNKNOWN_TABLE`.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "OK",
            1 => "UNSUPPORTED_METHOD",
            2 => "UNSUPPORTED_PARAMETER",
            3 => "UNEXPECTED_END_OF_FILE",
            6 => "CANNOT_PARSE_TEXT",
            7 => "INCORRECT_NUMBER_OF_COLUMNS",
            8 => "THERE_IS_NO_COLUMN",
            10 => "NOT_FOUND_COLUMN_IN_BLOCK",
            12 => "PARAMETER_OUT_OF_BOUND",
            15 => "DUPLICATE_COLUMN",
            16 => "NO_SUCH_COLUMN_IN_TABLE",
            19 => "SIZE_OF_FIXED_STRING_DOESNT_MATCH",
            20 => "NUMBER_OF_COLUMNS_DOESNT_MATCH",
            25 => "CANNOT_PARSE_ESCAPE_SEQUENCE",
            26 => "CANNOT_PARSE_QUOTED_STRING",
            27 => "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
            32 => "ATTEMPT_TO_READ_AFTER_EOF",
            33 => "CANNOT_READ_ALL_DATA",
            34 => "TOO_MANY_ARGUMENTS_FOR_FUNCTION",
            35 => "TOO_FEW_ARGUMENTS_FOR_FUNCTION",
            36 => "BAD_ARGUMENTS",
            38 => "CANNOT_PARSE_DATE",
            39 => "TOO_LARGE_SIZE_COMPRESSED",
            40 => "CHECKSUM_DOESNT_MATCH",
            41 => "CANNOT_PARSE_DATETIME",
            42 => "NUMBER_OF_ARGUMENTS_DOESNT_MATCH",
            43 => "ILLEGAL_TYPE_OF_ARGUMENT",
            44 => "ILLEGAL_COLUMN",
            46 => "UNKNOWN_FUNCTION",
            47 => "UNKNOWN_IDENTIFIER",
            48 => "NOT_IMPLEMENTED",
            49 => "LOGICAL_ERROR",
            50 => "UNKNOWN_TYPE",
            51 => "EMPTY_LIST_OF_COLUMNS_QUERIED",
            53 => "TYPE_MISMATCH",
            55 => "STORAGE_REQUIRES_PARAMETER",
            56 => "UNKNOWN_STORAGE",
            57 => "TABLE_ALREADY_EXISTS",
            59 => "ILLEGAL_TYPE_OF_COLUMN_FOR_FILTER",
            60 => "UNKNOWN_TABLE",
            62 => "SYNTAX_ERROR",
            63 => "UNKNOWN_AGGREGATE_FUNCTION",
            69 => "ARGUMENT_OUT_OF_BOUND",
            70 => "CANNOT_CONVERT_TYPE",
            72 => "CANNOT_PARSE_NUMBER",
            73 => "UNKNOWN_FORMAT",
            76 => "CANNOT_OPEN_FILE",
            80 => "INCORRECT_QUERY",
            81 => "UNKNOWN_DATABASE",
            82 => "DATABASE_ALREADY_EXISTS",
            85 => "FORMAT_IS_NOT_SUITABLE_FOR_INPUT",
            89 => "UNKNOWN_COMPRESSION_METHOD",
            90 => "EMPTY_LIST_OF_COLUMNS_PASSED",
            95 => "CANNOT_READ_FROM_SOCKET",
            99 => "UNKNOWN_PACKET_FROM_CLIENT",
            101 => "UNEXPECTED_PACKET_FROM_CLIENT",
            107 => "FILE_DOESNT_EXIST",
            108 => "NO_DATA_TO_INSERT",
            115 => "UNKNOWN_SETTING",
            117 => "INCORRECT_DATA",
            119 => "ENGINE_REQUIRED",
            127 => "ILLEGAL_INDEX",
            128 => "TOO_LARGE_ARRAY_SIZE",
            131 => "TOO_LARGE_STRING_SIZE",
            133 => "AGGREGATE_FUNCTION_DOESNT_ALLOW_PARAMETERS",
            135 => "ZERO_ARRAY_OR_TUPLE_INDEX",
            139 => "NO_ELEMENTS_IN_CONFIG",
            141 => "SAMPLING_NOT_SUPPORTED",
            153 => "ILLEGAL_DIVISION",
            158 => "TOO_MANY_ROWS",
            159 => "TIMEOUT_EXCEEDED",
            160 => "TOO_SLOW",
            164 => "READONLY",
            169 => "BAD_TYPE_OF_FIELD",
            179 => "MULTIPLE_EXPRESSIONS_FOR_ALIAS",
            181 => "ILLEGAL_FINAL",
            182 => "ILLEGAL_PREWHERE",
            184 => "ILLEGAL_AGGREGATION",
            190 => "SIZES_OF_ARRAYS_DOESNT_MATCH",
            192 => "UNKNOWN_USER",
            193 => "WRONG_PASSWORD",
            194 => "REQUIRED_PASSWORD",
            202 => "TOO_MANY_SIMULTANEOUS_QUERIES",
            204 => "CANNOT_FSYNC",
            207 => "AMBIGUOUS_IDENTIFIER",
            209 => "SOCKET_TIMEOUT",
            210 => "NETWORK_ERROR",
            211 => "EMPTY_QUERY",
            215 => "NOT_AN_AGGREGATE",
            217 => "CLIENT_HAS_CONNECTED_TO_WRONG_PORT",
            219 => "DATABASE_NOT_EMPTY",
            229 => "QUERY_IS_TOO_LARGE",
            232 => "NO_SUCH_DATA_PART",
            233 => "BAD_DATA_PART_NAME",
            236 => "ABORTED",
            241 => "MEMORY_LIMIT_EXCEEDED",
            242 => "TABLE_IS_READ_ONLY",
            243 => "NOT_ENOUGH_SPACE",
            246 => "CORRUPTED_DATA",
            248 => "INVALID_PARTITION_VALUE",
            252 => "TOO_MANY_PARTS",
            257 => "PARTITION_DOESNT_EXIST",
            258 => "UNION_ALL_RESULT_STRUCTURES_MISMATCH",
            270 => "CANNOT_COMPRESS",
            271 => "CANNOT_DECOMPRESS",
            290 => "LIMIT_EXCEEDED",
            306 => "TOO_DEEP_RECURSION",
            321 => "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
            336 => "UNKNOWN_DATABASE_ENGINE",
            341 => "UNFINISHED",
            344 => "SUPPORT_IS_DISABLED",
            521 => "ATOMIC_RENAME_FAIL",
            349 => "CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN",
            352 => "AMBIGUOUS_COLUMN_NAME",
            353 => "INDEX_OF_POSITIONAL_ARGUMENT_IS_OUT_OF_RANGE",
            372 => "SESSION_NOT_FOUND",
            373 => "SESSION_IS_LOCKED",
            374 => "INVALID_SESSION_TIMEOUT",
            376 => "CANNOT_PARSE_UUID",
            377 => "ILLEGAL_SYNTAX_FOR_DATA_TYPE",
            378 => "DATA_TYPE_CANNOT_HAVE_ARGUMENTS",
            381 => "HTTP_LENGTH_REQUIRED",
            386 => "NO_COMMON_TYPE",
            388 => "CANNOT_ASSIGN_OPTIMIZE",
            389 => "INSERT_WAS_DEDUPLICATED",
            390 => "CANNOT_GET_CREATE_TABLE_QUERY",
            394 => "QUERY_WAS_CANCELLED",
            395 => "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO",
            398 => "UNKNOWN_MUTATION_COMMAND",
            399 => "FORMAT_IS_NOT_SUITABLE_FOR_OUTPUT",
            403 => "INVALID_JOIN_ON_EXPRESSION",
            407 => "DECIMAL_OVERFLOW",
            417 => "EXPECTED_ALL_OR_ANY",
            418 => "UNKNOWN_JOIN",
            420 => "CANNOT_UPDATE_COLUMN",
            446 => "QUERY_NOT_ALLOWED",
            347 => "CANNOT_LOAD_CONFIG",
            354 => "ZLIB_INFLATE_FAILED",
            512 => "SET_NON_GRANTED_ROLE",
            524 => "ALTER_OF_COLUMN_IS_FORBIDDEN",
            421 => "CANNOT_ADD_DIFFERENT_AGGREGATE_STATES",
            425 => "SYSTEM_ERROR",
            427 => "CANNOT_COMPILE_REGEXP",
            432 => "UNKNOWN_CODEC",
            456 => "UNKNOWN_QUERY_PARAMETER",
            457 => "BAD_QUERY_PARAMETER",
            440 => "INVALID_LIMIT_EXPRESSION",
            467 => "CANNOT_PARSE_BOOL",
            471 => "INVALID_SETTING_VALUE",
            472 => "READONLY_SETTING",
            475 => "INVALID_WITH_FILL_EXPRESSION",
            476 => "WITH_TIES_WITHOUT_ORDER_BY",
            490 => "CANNOT_FORMAT_DATETIME",
            497 => "ACCESS_DENIED",
            498 => "LIMIT_BY_WITH_TIES_IS_NOT_SUPPORTED",
            504 => "FILE_ALREADY_EXISTS",
            516 => "AUTHENTICATION_FAILED",
            518 => "CANNOT_COMMIT_OFFSET",
            546 => "NO_ROW_DELIMITER",
            618 => "LZ4_DECODER_FAILED",
            561 => "ZSTD_DECODER_FAILED",
            636 => "CANNOT_EXTRACT_TABLE_STRUCTURE",
            675 => "CANNOT_PARSE_IPV4",
            676 => "CANNOT_PARSE_IPV6",
            721 => "DEPRECATED_FUNCTION",
            779 => "UNSUPPORTED_MEDIA_TYPE",
            691 => "UNKNOWN_ELEMENT_OF_ENUM",
            1000 => "POCO_EXCEPTION",
            1001 => "STD_EXCEPTION",
            1002 => "UNKNOWN_EXCEPTION",
            _ => "UNKNOWN_EXCEPTION",
        }
    }

    /// Looks a code up by its ClickHouse name.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        Some(match name {
            "OK" => ErrorCode(0),
            "UNSUPPORTED_METHOD" => ErrorCode(1),
            "UNSUPPORTED_PARAMETER" => ErrorCode(2),
            "UNEXPECTED_END_OF_FILE" => ErrorCode(3),
            "CANNOT_PARSE_TEXT" => ErrorCode(6),
            "INCORRECT_NUMBER_OF_COLUMNS" => ErrorCode(7),
            "THERE_IS_NO_COLUMN" => ErrorCode(8),
            "NOT_FOUND_COLUMN_IN_BLOCK" => ErrorCode(10),
            "PARAMETER_OUT_OF_BOUND" => ErrorCode(12),
            "DUPLICATE_COLUMN" => ErrorCode(15),
            "NO_SUCH_COLUMN_IN_TABLE" => ErrorCode(16),
            "SIZE_OF_FIXED_STRING_DOESNT_MATCH" => ErrorCode(19),
            "NUMBER_OF_COLUMNS_DOESNT_MATCH" => ErrorCode(20),
            "CANNOT_PARSE_ESCAPE_SEQUENCE" => ErrorCode(25),
            "CANNOT_PARSE_QUOTED_STRING" => ErrorCode(26),
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED" => ErrorCode(27),
            "ATTEMPT_TO_READ_AFTER_EOF" => ErrorCode(32),
            "CANNOT_READ_ALL_DATA" => ErrorCode(33),
            "TOO_MANY_ARGUMENTS_FOR_FUNCTION" => ErrorCode(34),
            "TOO_FEW_ARGUMENTS_FOR_FUNCTION" => ErrorCode(35),
            "BAD_ARGUMENTS" => ErrorCode(36),
            "CANNOT_PARSE_DATE" => ErrorCode(38),
            "TOO_LARGE_SIZE_COMPRESSED" => ErrorCode(39),
            "CHECKSUM_DOESNT_MATCH" => ErrorCode(40),
            "CANNOT_PARSE_DATETIME" => ErrorCode(41),
            "NUMBER_OF_ARGUMENTS_DOESNT_MATCH" => ErrorCode(42),
            "ILLEGAL_TYPE_OF_ARGUMENT" => ErrorCode(43),
            "ILLEGAL_COLUMN" => ErrorCode(44),
            "UNKNOWN_FUNCTION" => ErrorCode(46),
            "UNKNOWN_IDENTIFIER" => ErrorCode(47),
            "NOT_IMPLEMENTED" => ErrorCode(48),
            "LOGICAL_ERROR" => ErrorCode(49),
            "UNKNOWN_TYPE" => ErrorCode(50),
            "EMPTY_LIST_OF_COLUMNS_QUERIED" => ErrorCode(51),
            "TYPE_MISMATCH" => ErrorCode(53),
            "STORAGE_REQUIRES_PARAMETER" => ErrorCode(55),
            "UNKNOWN_STORAGE" => ErrorCode(56),
            "TABLE_ALREADY_EXISTS" => ErrorCode(57),
            "ILLEGAL_TYPE_OF_COLUMN_FOR_FILTER" => ErrorCode(59),
            "UNKNOWN_TABLE" => ErrorCode(60),
            "SYNTAX_ERROR" => ErrorCode(62),
            "UNKNOWN_AGGREGATE_FUNCTION" => ErrorCode(63),
            "ARGUMENT_OUT_OF_BOUND" => ErrorCode(69),
            "CANNOT_CONVERT_TYPE" => ErrorCode(70),
            "CANNOT_PARSE_NUMBER" => ErrorCode(72),
            "UNKNOWN_FORMAT" => ErrorCode(73),
            "CANNOT_OPEN_FILE" => ErrorCode(76),
            "INCORRECT_QUERY" => ErrorCode(80),
            "UNKNOWN_DATABASE" => ErrorCode(81),
            "DATABASE_ALREADY_EXISTS" => ErrorCode(82),
            "FORMAT_IS_NOT_SUITABLE_FOR_INPUT" => ErrorCode(85),
            "UNKNOWN_COMPRESSION_METHOD" => ErrorCode(89),
            "EMPTY_LIST_OF_COLUMNS_PASSED" => ErrorCode(90),
            "CANNOT_READ_FROM_SOCKET" => ErrorCode(95),
            "UNKNOWN_PACKET_FROM_CLIENT" => ErrorCode(99),
            "UNEXPECTED_PACKET_FROM_CLIENT" => ErrorCode(101),
            "FILE_DOESNT_EXIST" => ErrorCode(107),
            "NO_DATA_TO_INSERT" => ErrorCode(108),
            "UNKNOWN_SETTING" => ErrorCode(115),
            "INCORRECT_DATA" => ErrorCode(117),
            "ENGINE_REQUIRED" => ErrorCode(119),
            "ILLEGAL_INDEX" => ErrorCode(127),
            "TOO_LARGE_ARRAY_SIZE" => ErrorCode(128),
            "TOO_LARGE_STRING_SIZE" => ErrorCode(131),
            "AGGREGATE_FUNCTION_DOESNT_ALLOW_PARAMETERS" => ErrorCode(133),
            "ZERO_ARRAY_OR_TUPLE_INDEX" => ErrorCode(135),
            "NO_ELEMENTS_IN_CONFIG" => ErrorCode(139),
            "SAMPLING_NOT_SUPPORTED" => ErrorCode(141),
            "ILLEGAL_DIVISION" => ErrorCode(153),
            "TOO_MANY_ROWS" => ErrorCode(158),
            "TIMEOUT_EXCEEDED" => ErrorCode(159),
            "TOO_SLOW" => ErrorCode(160),
            "READONLY" => ErrorCode(164),
            "BAD_TYPE_OF_FIELD" => ErrorCode(169),
            "MULTIPLE_EXPRESSIONS_FOR_ALIAS" => ErrorCode(179),
            "ILLEGAL_FINAL" => ErrorCode(181),
            "ILLEGAL_PREWHERE" => ErrorCode(182),
            "ILLEGAL_AGGREGATION" => ErrorCode(184),
            "SIZES_OF_ARRAYS_DOESNT_MATCH" => ErrorCode(190),
            "UNKNOWN_USER" => ErrorCode(192),
            "WRONG_PASSWORD" => ErrorCode(193),
            "REQUIRED_PASSWORD" => ErrorCode(194),
            "TOO_MANY_SIMULTANEOUS_QUERIES" => ErrorCode(202),
            "CANNOT_FSYNC" => ErrorCode(204),
            "AMBIGUOUS_IDENTIFIER" => ErrorCode(207),
            "SOCKET_TIMEOUT" => ErrorCode(209),
            "NETWORK_ERROR" => ErrorCode(210),
            "EMPTY_QUERY" => ErrorCode(211),
            "NOT_AN_AGGREGATE" => ErrorCode(215),
            "CLIENT_HAS_CONNECTED_TO_WRONG_PORT" => ErrorCode(217),
            "DATABASE_NOT_EMPTY" => ErrorCode(219),
            "QUERY_IS_TOO_LARGE" => ErrorCode(229),
            "NO_SUCH_DATA_PART" => ErrorCode(232),
            "BAD_DATA_PART_NAME" => ErrorCode(233),
            "ABORTED" => ErrorCode(236),
            "MEMORY_LIMIT_EXCEEDED" => ErrorCode(241),
            "TABLE_IS_READ_ONLY" => ErrorCode(242),
            "NOT_ENOUGH_SPACE" => ErrorCode(243),
            "CORRUPTED_DATA" => ErrorCode(246),
            "INVALID_PARTITION_VALUE" => ErrorCode(248),
            "TOO_MANY_PARTS" => ErrorCode(252),
            "PARTITION_DOESNT_EXIST" => ErrorCode(257),
            "UNION_ALL_RESULT_STRUCTURES_MISMATCH" => ErrorCode(258),
            "CANNOT_COMPRESS" => ErrorCode(270),
            "CANNOT_DECOMPRESS" => ErrorCode(271),
            "LIMIT_EXCEEDED" => ErrorCode(290),
            "TOO_DEEP_RECURSION" => ErrorCode(306),
            "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE" => ErrorCode(321),
            "UNKNOWN_DATABASE_ENGINE" => ErrorCode(336),
            "UNFINISHED" => ErrorCode(341),
            "SUPPORT_IS_DISABLED" => ErrorCode(344),
            "ATOMIC_RENAME_FAIL" => ErrorCode(521),
            "CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN" => ErrorCode(349),
            "AMBIGUOUS_COLUMN_NAME" => ErrorCode(352),
            "INDEX_OF_POSITIONAL_ARGUMENT_IS_OUT_OF_RANGE" => ErrorCode(353),
            "SESSION_NOT_FOUND" => ErrorCode(372),
            "SESSION_IS_LOCKED" => ErrorCode(373),
            "INVALID_SESSION_TIMEOUT" => ErrorCode(374),
            "CANNOT_PARSE_UUID" => ErrorCode(376),
            "ILLEGAL_SYNTAX_FOR_DATA_TYPE" => ErrorCode(377),
            "DATA_TYPE_CANNOT_HAVE_ARGUMENTS" => ErrorCode(378),
            "HTTP_LENGTH_REQUIRED" => ErrorCode(381),
            "NO_COMMON_TYPE" => ErrorCode(386),
            "CANNOT_ASSIGN_OPTIMIZE" => ErrorCode(388),
            "INSERT_WAS_DEDUPLICATED" => ErrorCode(389),
            "CANNOT_GET_CREATE_TABLE_QUERY" => ErrorCode(390),
            "QUERY_WAS_CANCELLED" => ErrorCode(394),
            "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO" => ErrorCode(395),
            "UNKNOWN_MUTATION_COMMAND" => ErrorCode(398),
            "FORMAT_IS_NOT_SUITABLE_FOR_OUTPUT" => ErrorCode(399),
            "INVALID_JOIN_ON_EXPRESSION" => ErrorCode(403),
            "DECIMAL_OVERFLOW" => ErrorCode(407),
            "EXPECTED_ALL_OR_ANY" => ErrorCode(417),
            "UNKNOWN_JOIN" => ErrorCode(418),
            "CANNOT_UPDATE_COLUMN" => ErrorCode(420),
            "QUERY_NOT_ALLOWED" => ErrorCode(446),
            "CANNOT_LOAD_CONFIG" => ErrorCode(347),
            "ZLIB_INFLATE_FAILED" => ErrorCode(354),
            "SET_NON_GRANTED_ROLE" => ErrorCode(512),
            "ALTER_OF_COLUMN_IS_FORBIDDEN" => ErrorCode(524),
            "CANNOT_ADD_DIFFERENT_AGGREGATE_STATES" => ErrorCode(421),
            "SYSTEM_ERROR" => ErrorCode(425),
            "CANNOT_COMPILE_REGEXP" => ErrorCode(427),
            "UNKNOWN_CODEC" => ErrorCode(432),
            "UNKNOWN_QUERY_PARAMETER" => ErrorCode(456),
            "BAD_QUERY_PARAMETER" => ErrorCode(457),
            "INVALID_LIMIT_EXPRESSION" => ErrorCode(440),
            "CANNOT_PARSE_BOOL" => ErrorCode(467),
            "INVALID_SETTING_VALUE" => ErrorCode(471),
            "READONLY_SETTING" => ErrorCode(472),
            "INVALID_WITH_FILL_EXPRESSION" => ErrorCode(475),
            "WITH_TIES_WITHOUT_ORDER_BY" => ErrorCode(476),
            "CANNOT_FORMAT_DATETIME" => ErrorCode(490),
            "ACCESS_DENIED" => ErrorCode(497),
            "LIMIT_BY_WITH_TIES_IS_NOT_SUPPORTED" => ErrorCode(498),
            "FILE_ALREADY_EXISTS" => ErrorCode(504),
            "AUTHENTICATION_FAILED" => ErrorCode(516),
            "CANNOT_COMMIT_OFFSET" => ErrorCode(518),
            "NO_ROW_DELIMITER" => ErrorCode(546),
            "LZ4_DECODER_FAILED" => ErrorCode(618),
            "ZSTD_DECODER_FAILED" => ErrorCode(561),
            "CANNOT_EXTRACT_TABLE_STRUCTURE" => ErrorCode(636),
            "CANNOT_PARSE_IPV4" => ErrorCode(675),
            "CANNOT_PARSE_IPV6" => ErrorCode(676),
            "DEPRECATED_FUNCTION" => ErrorCode(721),
            "UNSUPPORTED_MEDIA_TYPE" => ErrorCode(779),
            "UNKNOWN_ELEMENT_OF_ENUM" => ErrorCode(691),
            "POCO_EXCEPTION" => ErrorCode(1000),
            "STD_EXCEPTION" => ErrorCode(1001),
            "UNKNOWN_EXCEPTION" => ErrorCode(1002),
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.name())
    }
}
