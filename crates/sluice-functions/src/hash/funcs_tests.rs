//! Tests of the hash functions (expected values from ClickHouse, as noted per test).

use crate::string::testkit::*;
use datafusion::common::ScalarValue;

const LONG: &str =
    "hello world, this is a longer string that exceeds sixty-four bytes in total length!!";

/// `[f('hello'), f(toUInt8(1)), f(toUInt64(1)), f('a','b'), f([1,2]), f(toInt8(-1)), f(''),
/// f(1.5), f((1,'a')), f(LONG)]` as the oracle printed them.
fn check(name: &'static str, t: &str, expect: [&str; 10]) {
    let u8_1 = || typed("UInt8", ScalarValue::UInt8(Some(1)));
    let got = [
        one(call(name, vec![s("hello")])),
        one(call(name, vec![u8_1()])),
        one(call(
            name,
            vec![typed("UInt64", ScalarValue::UInt64(Some(1)))],
        )),
        one(call(name, vec![s("a"), s("b")])),
        one(call(name, vec![call("array", vec![n(1), n(2)])])),
        one(call(name, vec![n(-1)])),
        one(call(name, vec![s("")])),
        one(call(name, vec![f(1.5)])),
        one(call(name, vec![call("tuple", vec![n(1), s("a")])])),
        one(call(name, vec![s(LONG)])),
    ];
    for (k, (g, e)) in got.iter().zip(expect).enumerate() {
        assert_eq!(*g, format!("{t}\t{e}"), "{name} case {k}");
    }
}

#[test]
fn city_hash64() {
    check(
        "cityHash64",
        "UInt64",
        [
            "2578220239953316063",
            "10577349846663553072",
            "10577349846663553072",
            "7468329322676821011",
            "5171949009262398126",
            "8055013221972926055",
            "11160318154034397263",
            "7287324520655339053",
            "3281168119317583073",
            "3676913024161165357",
        ],
    );
}

#[test]
fn farm_fingerprint64() {
    check(
        "farmFingerprint64",
        "UInt64",
        [
            "13009744463427800296",
            "10577349846663553072",
            "10577349846663553072",
            "8696597424843165144",
            "15913024493517370460",
            "8055013221972926055",
            "11160318154034397263",
            "7287324520655339053",
            "17594501432726942176",
            "2997392863566919668",
        ],
    );
}

#[test]
fn metro_hash64() {
    check(
        "metroHash64",
        "UInt64",
        [
            "15663805623366682943",
            "10577349846663553072",
            "10577349846663553072",
            "14769050804864331851",
            "5171949009262398126",
            "8055013221972926055",
            "13381918016739805347",
            "7287324520655339053",
            "16698073445547695267",
            "7678260345778657062",
        ],
    );
}

#[test]
fn sip_half_md5_xx() {
    check(
        "sipHash64",
        "UInt64",
        [
            "10142490492830962361",
            "7385293435322750976",
            "9224715256000962398",
            "1193743241355087095",
            "16941636534932280572",
            "2368135510806073586",
            "2202906307356721367",
            "12174397082705264768",
            "14369802987963166986",
            "6515315262851172687",
        ],
    );
    check(
        "halfMD5",
        "UInt64",
        [
            "6719722671305337462",
            "6171409270389319049",
            "3732900030546083890",
            "344816746590365630",
            "894046666179568563",
            "25139048975410239",
            "15284527576400310788",
            "8463034092732556650",
            "9016237435367266875",
            "1863815832193461227",
        ],
    );
    check(
        "xxHash64",
        "UInt64",
        [
            "2794345569481354659",
            "9962287286179718960",
            "11468921228449061269",
            "14756808377901732262",
            "15521733050981868142",
            "10764519495013463364",
            "17241709254077376921",
            "5329932555030153977",
            "3724329952090484401",
            "17507041221745152820",
        ],
    );
    check(
        "xxHash32",
        "UInt32",
        [
            "4211111929",
            "949155633",
            "149775153",
            "1353805580",
            "2065328896",
            "2528958668",
            "46947589",
            "4214172771",
            "2229740490",
            "3519149160",
        ],
    );
    check(
        "xxh3",
        "UInt64",
        [
            "10760762337991515389",
            "16226181191752404715",
            "3439722301264460078",
            "3189474376958980599",
            "1758438014527378248",
            "15473502163978278702",
            "3244421341483603138",
            "2693614958850487384",
            "14039888307622700076",
            "15943109448180363458",
        ],
    );
}

#[test]
fn murmur() {
    check(
        "murmurHash2_32",
        "UInt32",
        [
            "3848350155",
            "0",
            "3340017859",
            "2171431463",
            "4126930486",
            "2664983274",
            "0",
            "3316147821",
            "1864601428",
            "1780901932",
        ],
    );
    check(
        "murmurHash2_64",
        "UInt64",
        [
            "2191231550387646743",
            "12725806677685968135",
            "10357027354812746030",
            "6575459576158992452",
            "10601799752989239327",
            "3866667633532608802",
            "0",
            "2873885832668391838",
            "341766592223229892",
            "7496272003974163",
        ],
    );
    check(
        "murmurHash3_32",
        "UInt32",
        [
            "613153351",
            "3831157163",
            "1392991556",
            "914284213",
            "3216578738",
            "4251775245",
            "0",
            "4034560987",
            "2605339565",
            "3879547180",
        ],
    );
    check(
        "murmurHash3_64",
        "UInt64",
        [
            "10432086992150038043",
            "956517343494314387",
            "4453723594474149964",
            "18305627054227103971",
            "13760643059162002957",
            "13687882293314739906",
            "0",
            "7510990209515860999",
            "2237064625500378000",
            "4733897972692741337",
        ],
    );
}

#[test]
fn farm_and_misc() {
    // Oracle: farmHash64 values.
    let fh = |e: E| one(call("farmHash64", vec![e]));
    assert_eq!(fh(s("hello")), "UInt64\t13009744463427800296");
    assert_eq!(fh(n(1)), "UInt64\t10577349846663553072");
    assert_eq!(
        one(call("farmHash64", vec![s("a"), s("b")])),
        "UInt64\t13764019092918827821"
    );
    assert_eq!(
        fh(call("array", vec![n(1), n(2)])),
        "UInt64\t5171949009262398126"
    );
    assert_eq!(
        fh(call("tuple", vec![n(1), s("a")])),
        "UInt64\t4687777954320269393"
    );
    // Oracle: farmHash64(LONG) = 15186923848671310785; over 256 bytes Sluice says 48.
    assert_eq!(fh(s(LONG)), "UInt64\t15186923848671310785");
    assert_code(call("farmHash64", vec![s(&"q".repeat(300))]), 48);
    // Oracle: sipHash64() = cityHash64() = 16324913028386710556; xxHash32() = 4263699484.
    assert_eq!(
        one(call("sipHash64", vec![])),
        "UInt64\t16324913028386710556"
    );
    assert_eq!(one(call("xxHash32", vec![])), "UInt32\t4263699484");
    // Oracle: cityHash64(NULL) = NULL; cityHash64(toNullable(1)) = 10577349846663553072 :: Nullable(UInt64).
    assert_eq!(
        one(call("cityHash64", vec![null()])),
        "Nullable(Nothing)\t\\N"
    );
    let nn = typed("Nullable(UInt8)", ScalarValue::UInt8(Some(1)));
    assert_eq!(
        one(call("cityHash64", vec![nn])),
        "Nullable(UInt64)\t10577349846663553072"
    );
    // Oracle: cityHash64(1, 2) = 463667963421364848; cityHash64([]) = 4761183170873013810;
    // cityHash64(toFixedString('ab', 3)) = 2474032565810969706;
    // cityHash64(toDate('2020-01-01')) = 6817702824740635125;
    // cityHash64(toDecimal32(1.5, 2)) = 8235273209324577223; cityHash64(true) = 10577349846663553072;
    // cityHash64(toFloat32(1.5)) = 17641193269776743632; cityHash64(map('a', 1)) = 616936771394393035.
    assert_eq!(
        one(call("cityHash64", vec![n(1), n(2)])),
        "UInt64\t463667963421364848"
    );
    assert_eq!(
        one(call("cityHash64", vec![call("array", vec![])])),
        "UInt64\t4761183170873013810"
    );
    let fs = typed(
        "FixedString(3)",
        ScalarValue::FixedSizeBinary(3, Some(b"ab\0".to_vec())),
    );
    assert_eq!(
        one(call("cityHash64", vec![fs])),
        "UInt64\t2474032565810969706"
    );
    let d = typed("Date", ScalarValue::Date32(Some(18262)));
    assert_eq!(
        one(call("cityHash64", vec![d])),
        "UInt64\t6817702824740635125"
    );
    let dec = typed("Decimal(9, 2)", ScalarValue::Decimal128(Some(150), 9, 2));
    assert_eq!(
        one(call("cityHash64", vec![dec])),
        "UInt64\t8235273209324577223"
    );
    let b = typed("Bool", ScalarValue::Boolean(Some(true)));
    assert_eq!(
        one(call("cityHash64", vec![b])),
        "UInt64\t10577349846663553072"
    );
    let f32v = typed("Float32", ScalarValue::Float32(Some(1.5)));
    assert_eq!(
        one(call("cityHash64", vec![f32v])),
        "UInt64\t17641193269776743632"
    );
    let m = call("map", vec![s("a"), n(1)]);
    assert_eq!(
        one(call("cityHash64", vec![m])),
        "UInt64\t616936771394393035"
    );
    // Oracle: cityHash64(toDateTime64('2020-01-01 00:00:00.12', 2, 'UTC')) =
    // 11319645396347323921; (… .123, 3 …) = 5924871011159503131;
    // sipHash64(DateTime64(2) value) = 12015665601876044664;
    // cityHash64(toDate32('2020-01-01')) = 6817702824740635125.
    let dt64 = |p: u8, ms: i64| {
        typed(
            &format!("DateTime64({p}, 'UTC')"),
            ScalarValue::TimestampMillisecond(Some(ms), Some("UTC".into())),
        )
    };
    assert_eq!(
        one(call("cityHash64", vec![dt64(2, 1577836800120)])),
        "UInt64\t11319645396347323921"
    );
    assert_eq!(
        one(call("cityHash64", vec![dt64(3, 1577836800123)])),
        "UInt64\t5924871011159503131"
    );
    assert_eq!(
        one(call("sipHash64", vec![dt64(2, 1577836800120)])),
        "UInt64\t12015665601876044664"
    );
    let d32 = typed("Date32", ScalarValue::Date64(Some(1577836800000)));
    assert_eq!(
        one(call("cityHash64", vec![d32])),
        "UInt64\t6817702824740635125"
    );
    // Oracle: cityHash64([toNullable(1)]) = cityHash64([1]) = 2963573356302499406;
    // cityHash64([1, NULL]) = 1206661434726526972 (not reproduced → 48).
    let nn = typed("Nullable(UInt8)", ScalarValue::UInt8(Some(1)));
    assert_eq!(
        one(call("cityHash64", vec![call("array", vec![nn])])),
        "UInt64\t2963573356302499406"
    );
    assert_code(
        call("cityHash64", vec![call("array", vec![n(1), null()])]),
        48,
    );
    // Oracle: cityHash64(toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')) = 17345439983272262203;
    // cityHash64(toInt128(1)) = 201160255169616649.
    let uuid = hex::decode("61f0c4045cb311e7907ba6006ad3dba0").unwrap_or_default();
    let u = typed("UUID", ScalarValue::FixedSizeBinary(16, Some(uuid)));
    assert_eq!(
        one(call("cityHash64", vec![u])),
        "UInt64\t17345439983272262203"
    );
    let i128v = typed(
        "Int128",
        ScalarValue::Decimal256(
            Some(datafusion::arrow::datatypes::i256::from_i128(1)),
            76,
            0,
        ),
    );
    assert_eq!(
        one(call("cityHash64", vec![i128v])),
        "UInt64\t201160255169616649"
    );
}

#[test]
fn int_hashes_and_digests() {
    // Oracle: intHash64(1) = 10577349846663553072; intHash32(1) = 1343103100 (UInt32);
    // intHash64(toInt8(-1)) = 14600443904207254319.
    assert_eq!(
        one(call("intHash64", vec![n(1)])),
        "UInt64\t10577349846663553072"
    );
    assert_eq!(one(call("intHash32", vec![n(1)])), "UInt32\t1343103100");
    assert_eq!(
        one(call("intHash64", vec![n(-1)])),
        "UInt64\t14600443904207254319"
    );
    // Oracle: hex(MD5('hello')) etc.; toTypeName(MD5('hello')) = FixedString(16).
    let hx = |name: &'static str, v: &str| one(call("hex", vec![call(name, vec![s(v)])]));
    assert_eq!(
        hx("MD5", "hello"),
        "String\t5D41402ABC4B2A76B9719D911017C592"
    );
    assert_eq!(hx("MD5", ""), "String\tD41D8CD98F00B204E9800998ECF8427E");
    assert_eq!(
        hx("SHA1", "hello"),
        "String\tAAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D"
    );
    assert_eq!(
        hx("SHA256", "hello"),
        "String\t2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"
    );
    assert_eq!(
        hx("SHA224", "hello"),
        "String\tEA09AE9CC6768C50FCEE903ED054556E5BFC8347907F12598AA24193"
    );
    assert_eq!(
        hx("sipHash128", "hello"),
        "String\t54F0C4900581E097EDA2332258DC211B"
    );
    // Oracle: hex(sipHash128('a', 'b')) = 7B64E9F103295C192F07A59FCA5D7252;
    // hex(sipHash128(toUInt8(1))) = DF2EC2F0669B000EDFF6ADEE264E7D68;
    // hex(sipHash128([1,2])) = 5F87902616D6EB6A7DCA125088A59E80;
    // hex(murmurHash3_128('a', 'b')) = AE1329B79BAB34F991E2EC6715F7F92F;
    // hex(murmurHash3_128(toUInt8(1))) = 16FE7483905CCE7A85670E43E4678877;
    // hex(murmurHash3_128([1,2])) = 02C5D9DA0B4203CCFE80E659A8E4148F;
    // hex(sipHash128()) = 1CE422FEE7BD8DE20000000000000000; toTypeName(sipHash128(1)) = FixedString(16).
    let hxe = |name: &'static str, args: Vec<E>| one(call("hex", vec![call(name, args)]));
    let arr12 = || call("array", vec![n(1), n(2)]);
    let cases = [
        (
            "sipHash128",
            vec![s("a"), s("b")],
            "7B64E9F103295C192F07A59FCA5D7252",
        ),
        ("sipHash128", vec![n(1)], "DF2EC2F0669B000EDFF6ADEE264E7D68"),
        (
            "sipHash128",
            vec![arr12()],
            "5F87902616D6EB6A7DCA125088A59E80",
        ),
        (
            "murmurHash3_128",
            vec![s("a"), s("b")],
            "AE1329B79BAB34F991E2EC6715F7F92F",
        ),
        (
            "murmurHash3_128",
            vec![n(1)],
            "16FE7483905CCE7A85670E43E4678877",
        ),
        (
            "murmurHash3_128",
            vec![arr12()],
            "02C5D9DA0B4203CCFE80E659A8E4148F",
        ),
        ("sipHash128", vec![], "1CE422FEE7BD8DE20000000000000000"),
    ];
    for (name, args, want) in cases {
        assert_eq!(hxe(name, args), format!("String\t{want}"), "{name}");
    }
    assert!(one(call("sipHash128", vec![n(1)])).starts_with("FixedString(16)\t"));
    assert_eq!(
        hx("murmurHash3_128", "hello"),
        "String\t029BBD41B3A7D8CB191DAE486A901E5B"
    );
    assert!(one(call("MD5", vec![s("a")])).starts_with("FixedString(16)\t"));
    assert!(one(call("SHA1", vec![s("a")])).starts_with("FixedString(20)\t"));
    assert_code(call("MD5", vec![n(1)]), 43);
}

/// Every string hash at every input length 0..110 (all code paths of every algorithm),
/// against `testdata/lengths.tsv`, generated by the oracle with:
///
/// ```sql
/// WITH 'The quick brown fox jumps over the lazy dog; 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz!?' AS s SELECT number AS n, cityHash64(substring(s, 1, n)), sipHash64(substring(s, 1, n)), halfMD5(substring(s, 1, n)), xxHash64(substring(s, 1, n)), xxHash32(substring(s, 1, n)), xxh3(substring(s, 1, n)), murmurHash2_32(substring(s, 1, n)), murmurHash2_64(substring(s, 1, n)), murmurHash3_32(substring(s, 1, n)), murmurHash3_64(substring(s, 1, n)), farmHash64(substring(s, 1, n)), farmFingerprint64(substring(s, 1, n)), metroHash64(substring(s, 1, n)), hex(sipHash128(substring(s, 1, n))), hex(murmurHash3_128(substring(s, 1, n))) FROM numbers(0, 110)
/// ```
#[test]
fn all_lengths_match_oracle() {
    const S: &str = "The quick brown fox jumps over the lazy dog; 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz!?";
    let names = [
        "cityHash64",
        "sipHash64",
        "halfMD5",
        "xxHash64",
        "xxHash32",
        "xxh3",
        "murmurHash2_32",
        "murmurHash2_64",
        "murmurHash3_32",
        "murmurHash3_64",
        "farmHash64",
        "farmFingerprint64",
        "metroHash64",
        "sipHash128",
        "murmurHash3_128",
    ];
    for line in include_str!("testdata/lengths.tsv").lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let n: usize = cols[0].parse().unwrap_or(0);
        let input = &S[..n.min(S.len())];
        for (k, name) in names.iter().enumerate() {
            let got = if name.ends_with("128") {
                one(call("hex", vec![call(name, vec![s(input)])]))
            } else {
                one(call(name, vec![s(input)]))
            };
            let got = got.split('\t').nth(1).unwrap_or("").to_string();
            assert_eq!(got, cols[k + 1], "{name} at length {n}");
        }
    }
}
