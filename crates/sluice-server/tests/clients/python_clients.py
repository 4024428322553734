"""Real ClickHouse Python clients against a running sluice-server (engine test double).

Run by tests/real_clients.rs:  python python_clients.py <tcp_port> <http_port>
Prints one line per check and 'N passed, N failed' at the end; exits 1 on any failure.
"""
import sys
import traceback
import uuid
import datetime
import decimal

from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException
import clickhouse_connect

TCP, HTTP = int(sys.argv[1]), int(sys.argv[2])
results = {"passed": 0, "failed": 0}


def check(name):
    def wrap(fn):
        try:
            fn()
            results["passed"] += 1
            print(f"ok   {name}")
        except Exception:
            results["failed"] += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        return fn
    return wrap


def driver(**kw):
    return Client(host="127.0.0.1", port=TCP, **kw)


for compression in (False, "lz4", "zstd"):
    label = f"driver[{compression}]"

    @check(f"{label} select 1")
    def _():
        c = driver(compression=compression)
        assert c.execute("SELECT 1") == [(1,)]

    @check(f"{label} types")
    def _():
        c = driver(compression=compression)
        rows, cols = c.execute("SELECT * FROM types", with_column_types=True)
        types = dict(cols)
        assert types["dt"] == "DateTime('UTC')", types
        assert types["dec"] == "Decimal(18, 4)", types
        r = rows[0]
        assert r[0] == 200 and r[1] == -5 and r[2] == 2**64 - 1 and r[3] == -(2**63), r
        assert r[4] == 1.5 and r[5] == "tab\there" and r[6] is None and r[7] is True, r
        assert r[8] == [1, 2], r
        assert r[9].replace(tzinfo=None) == datetime.datetime(2023, 11, 14, 22, 13, 20), r[9]
        assert r[11] == decimal.Decimal("12.3456"), r[11]
        assert r[12] == uuid.UUID("61f0c404-5cb3-11e7-907b-a6006ad3dba0"), r[12]
        assert r[13] == "b" and r[14] == "abc", r
        assert str(r[15]) == "127.0.0.1", r[15]

    @check(f"{label} large streamed result")
    def _():
        c = driver(compression=compression)
        total = 0
        count = 0
        for row in c.execute_iter("SELECT number FROM numbers(1000000)"):
            total += row[0]
            count += 1
        assert count == 1000000 and total == 999999 * 1000000 // 2

    @check(f"{label} insert and error keeps connection usable")
    def _():
        c = driver(compression=compression)
        before = len(c.execute("SELECT * FROM t"))
        n = c.execute("INSERT INTO t (a, b) VALUES", [(10, "ten"), (11, "eleven")])
        assert n == 2, n
        rows = c.execute("SELECT * FROM t")
        assert len(rows) == before + 2 and (10, "ten") in rows, rows
        try:
            c.execute("SELECT syntax error")
            raise AssertionError("no error")
        except ServerException as e:
            assert e.code == 62, e.code
            assert "Syntax error" in e.message, e.message
        assert c.execute("SELECT 1") == [(1,)]
        try:
            c.execute("INSERT INTO t (a, b) VALUES", [(666, "bad")])
            raise AssertionError("no error")
        except ServerException as e:
            assert e.code == 53, e.code
        assert c.execute("SELECT 1") == [(1,)]

    @check(f"{label} parameters and settings")
    def _():
        c = driver(compression=compression)
        got = c.execute("SELECT {p:String}", {"p": "it's"}, settings={"server_side_params": True})
        assert got == [("it's",)], got
        got = c.execute("SELECT getSetting('max_block_size')", settings={"max_block_size": 1234})
        assert got == [("1234",)], got


@check("driver auth failure is 516")
def _():
    try:
        driver(user="alice", password="wrong").execute("SELECT 1")
        raise AssertionError("no error")
    except ServerException as e:
        assert e.code == 516, e.code


@check("driver good password and ping")
def _():
    c = driver(user="alice", password="secret")
    assert c.execute("SELECT 1") == [(1,)]
    c.connection.ping()


@check("connect query/insert/command")
def _():
    c = clickhouse_connect.get_client(host="127.0.0.1", port=HTTP, username="default", password="",
                                      autogenerate_session_id=False, compress=False)
    r = c.query("SELECT number FROM numbers(5)")
    assert [x[0] for x in r.result_rows] == [0, 1, 2, 3, 4], r.result_rows
    assert c.command("SELECT 1") == 1
    r = c.query("SELECT * FROM types")
    row = r.result_rows[0]
    assert row[0] == 200 and row[5] == "tab\there" and row[6] is None, row
    try:
        c.query("SELECT syntax error")
        raise AssertionError("no error")
    except Exception as e:  # DatabaseError
        assert "Code: 62" in str(e), str(e)


print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
