"""TOML cases with Python tomllib's verdicts (Tests/TOMLTests/Fixtures/tomllib_cases.json).

Hand-written valid and invalid documents (the spec's examples, every value kind, the table rules, and the inputs
that abort toml++ 3.4), plus seeded mutations of the valid ones (a byte inserted, deleted or replaced), each with
what tomllib (Python 3.11+) makes of it: the document as tagged values, or invalid. The Swift parser must agree
on every case. Date-times are compared by kind only (tomllib gives datetime objects, the Swift parser keeps text).
"""
import datetime
import json
import math
import random
import sys
import tomllib

VALID = [
    'model = "m"\ndata = "d"\nout = "o"\nsteps = 50\nlearning_rate = 1e-4\nvalidation_prompts = ["a woman", "a man"]\n[lora]\nrank = 16\n',
    '# comment\nkey = "value" # trailing\nbare_key = 1\nbare-key = 2\n1234 = 3\n',
    '"127.0.0.1" = "v"\n"character encoding" = "v"\n"ʎǝʞ" = "v"\n\'key2\' = "v"\n\'quoted "value"\' = "v"\n',
    '"" = "blank"\n',
    'name = "Orange"\nphysical.color = "orange"\nphysical.shape = "round"\nsite."google.com" = true\n',
    'fruit.name = "banana"\nfruit. color = "yellow"\nfruit . flavor = "banana"\n',
    'apple.type = "fruit"\norange.type = "fruit"\napple.skin = "thin"\norange.skin = "thick"\n',
    '3.14159 = "pi"\n',
    'str = "I\'m a string. \\"You can quote me\\". Name\\tJos\\u00E9\\nLocation\\tSF."\n',
    'str1 = """\nRoses are red\nViolets are blue"""\n',
    'str2 = """\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog."""\n',
    'str3 = """\\\n       The quick brown \\\n       fox jumps over \\\n       the lazy dog.\\\n       """\n',
    'str4 = """Here are two quotation marks: "". Simple enough."""\nstr5 = """Here are three quotation marks: ""\\"."""\n',
    'str7 = """"This," she said, "is just a pointless statement.""""\n',
    "winpath = 'C:\\Users\\nodejs\\templates'\nquoted = 'Tom \"Dubs\" Preston-Werner'\nregex = '<\\i\\c*\\s*>'\n",
    "regex2 = '''I [dw]on't need \\d{2} apples'''\nlines = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''\n",
    "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\napos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\nstr = ''''That,' she said, 'is still pointless.''''\n",
    'int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nint6 = 5_349_221\nint7 = 53_49_221\nint8 = 1_2_3_4_5\n',
    'hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\noct1 = 0o01234567\noct2 = 0o755\nbin1 = 0b11010110\n',
    'max = 9223372036854775807\nmin = -9223372036854775808\nz1 = +0\nz2 = -0\n',
    'flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\nflt6 = -2E-2\nflt7 = 6.626e-34\nflt8 = 224_617.445_991_228\n',
    'sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\nsf6 = -nan\n',
    'f0 = 0.0\nf1 = -0.0\nf2 = 0e0\nf3 = 1e-4\nf4 = 0.000_1\n',
    'bool1 = true\nbool2 = false\n',
    'odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\nodt3 = 1979-05-27T00:32:00.999999-07:00\nodt4 = 1979-05-27 07:32:00Z\n',
    'ldt1 = 1979-05-27T07:32:00\nldt2 = 1979-05-27T00:32:00.999999\nld1 = 1979-05-27\nlt1 = 07:32:00\nlt2 = 00:32:00.999999\n',
    'leap = 2000-02-29\nleap2 = 2024-02-29T00:00:00z\n',
    'integers = [ 1, 2, 3 ]\ncolors = [ "red", "yellow", "green" ]\nnested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n',
    'nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]\nstring_array = [ "all", \'strings\', """are the same""", \'\'\'type\'\'\' ]\n',
    'numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\ncontributors = [\n  "Foo Bar <foo@example.com>",\n  { name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux" }\n]\n',
    'integers2 = [\n  1, 2, 3\n]\nintegers3 = [\n  1,\n  2, # this is ok\n]\nempty = []\nempty2 = [ ]\nempty3 = [\n]\n',
    '[table-1]\nkey1 = "some string"\nkey2 = 123\n\n[table-2]\nkey1 = "another string"\nkey2 = 456\n',
    '[dog."tater.man"]\ntype.name = "pug"\n',
    '[a.b.c]\n[ d.e.f ]\n[ g .  h  . i ]\n[ j . "ʞ" . \'l\' ]\n',
    '[x.y.z.w]\n\n[x]\n',
    '[fruit]\napple.color = "red"\napple.taste.sweet = true\n\n[fruit.apple.texture]\nsmooth = true\n',
    '[a.b.c]\nz = 1\n[a]\nb.d = 2\n',
    'name = { first = "Tom", last = "Preston-Werner" }\npoint = { x = 1, y = 2 }\nanimal = { type.name = "pug" }\n',
    'empty = {}\nnested = { a = { b = { c = 1 } }, d = [1, {e = 2}] }\n',
    '[[products]]\nname = "Hammer"\nsku = 738594937\n\n[[products]]  # empty table within the array\n\n[[products]]\nname = "Nail"\nsku = 284758393\ncolor = "gray"\n',
    '[[fruits]]\nname = "apple"\n\n[fruits.physical]\ncolor = "red"\nshape = "round"\n\n[[fruits.varieties]]\nname = "red delicious"\n\n[[fruits.varieties]]\nname = "granny smith"\n\n[[fruits]]\nname = "banana"\n\n[[fruits.varieties]]\nname = "plantain"\n',
    'points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n           { x = 2, y = 4, z = 8 } ]\n',
    'a = 1\r\nb = "x"\r\n[t]\r\nc = """\r\nline\r\n"""\r\n',
    'tab\t=\t"\tx\t"\t# tab comment\t\n',
    'key = "# not a comment"\nk2 = \'[not a table]\'\n',
    'uni = "\\U0001F600 \\u00e9 é 日本"\n',
    'esc = "\\b\\t\\n\\f\\r\\"\\\\"\n',
    'a = [\n  [1, 2],\n  [[3]],\n  [[[4]]],\n]\n',
    '"a.b" = 1\na."b.c" = 2\n',
    '[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n',
    'x = 1 # comment with "quotes" and [brackets] and = signs\n',
    '',
    '# only a comment',
    '\n\n\n',
    'k = 1',
]

INVALID = [
    '[[[1]]]', '[[[a]]]', '[[[]]', '[[=', '[=]', '[#x]', '[ .a]', '[[ {', 'a = 1\n  [,]\n', 'a = [ } ]', 'a = [ ,]',
    'a = [1,,2]', 'a = [1 2]', 'a = [', 'a = [1,', 'a = {', 'a = {b = 1,}', 'a = {b = 1\n}', 'a = {,}', 'a = { b = 1 c = 2 }',
    'key = # INVALID', '= "no key name"', 'first = "Tom" last = "Preston-Werner"', 'key', 'key = ', 'key =\n1',
    'name = "Tom"\nname = "Pradyun"', 'spelling = "favorite"\n"spelling" = "favourite"',
    'fruit.apple = 1\nfruit.apple.smooth = true', '[fruit]\napple = "red"\n\n[fruit]\norange = "orange"',
    '[fruit]\napple = "red"\n\n[fruit.apple]\ntexture = "smooth"', '[fruit]\napple.color = "red"\n[fruit.apple]',
    '[fruit]\napple.color = "red"\napple.taste.sweet = true\n[fruit.apple.taste]',
    '[product]\ntype = { name = "Nail" }\ntype.edible = false', '[product]\ntype.name = "Nail"\ntype = { edible = false }',
    'a = {b = 1}\n[a.c]', 'a = {b = 1}\n[a]',
    '[fruit.physical]\ncolor = "red"\n[[fruit]]\nname = "apple"',
    'fruits = []\n[[fruits]]',
    '[[fruits]]\nname = "apple"\n[[fruits.varieties]]\nname = "red delicious"\n[fruits.varieties]\nname = "granny smith"',
    '[[a]]\n[a]', '[a]\n[[a]]', '[a]\nb = 1\n[a.b]',
    '[a.b.c]\nz = 9\n[a]\nb.c.t = "no"', '[a.b.c.d]\nz = 9\n[a]\nb.c.d.k.t = "no"',
    'a.b = 1\n[a]', 'a = 1\na.b = 2',
    '[]', '[ ]', '[[]]', '[a', '[a]]', '[[a]', '[[a] ]', '[ [a]]', '[a] b = 1', '[a.]', '[.a]', '[a..b]', 'a..b = 1', '.a = 1',
    '["""a"""]', '"""a""" = 1', "'''a''' = 1",
    'a = "unterminated', "a = 'unterminated", 'a = """unterminated', "a = '''unterminated", 'a = "line\nbreak"',
    'a = "\\x41"', 'a = "\\uD800"', 'a = "\\U00110000"', 'a = "\\u12"', 'a = "\\"', 'a = "bad \\q escape"',
    'a = """""""""', "a = '''''''''", 'a = "\x01"', "a = '\x7f'", 'a = 1 # \x00 comment', 'a = "\r"', 'a = 1\r',
    'a = +0x1', 'a = 0x', 'a = 0xG', 'a = 0o8', 'a = 0b2', 'a = 0X1', 'a = 0_1', 'a = 01', 'a = 00', 'a = -01',
    'a = 1__000', 'a = _1', 'a = 1_', 'a = 1_.0', 'a = 1._0', 'a = 1.', 'a = .5', 'a = 1e', 'a = 1e_1', 'a = 1.0e',
    'a = 9223372036854775808', 'a = -9223372036854775809', 'a = 0x_1', 'a = 0x1_', 'a = 1.2.3', 'a = 1e2.5',
    'a = +inf_', 'a = infinity', 'a = NaN', 'a = Inf', 'a = ++1', 'a = --1', 'a = 1-2',
    'a = True', 'a = truee', 'a = fals', 'a = tru',
    'a = 1979-02-30', 'a = 1979-13-01', 'a = 1979-05-27T25:00:00', 'a = 1979-05-27T07:60:00', 'a = 1979-05-27T07:32',
    'a = 07:32', 'a = 1979-05-27T07:32:00+24:00', 'a = 1979-05-27T07:32:00.', 'a = 2023-02-29', 'a = 1979-5-27',
    'a = 1979-05-27X07:32:00', 'a = 1979-05-27T07:32:00Zz',
    'a = bare', 'a = "x" "y"', 'a = [1] 2', 'a = {} x',
    'a = 1\n  b = 2 c', 'a b = 1', '"a" b = 1', "a = '''x''''''", 'a\n= 1', 'a =\n"x"',
    '\x0bkey = 1', 'key\x0c= 1', 'a = 1\x85', 'a = [1\u2028]', 'a = [\u00a0]', '\u00a0a = 1',
    'a = { b = 1, b = 2 }', 'a = { b.c = 1, b = 2 }', 'a = { b = { c = 1 }, b.d = 2 }',
    '[a]\n[b]\n[a]',
    '[é]', 'é = 1',
]


def tag(value):
    """toml-test's tagged form: every scalar as {type, value}; date-times by kind only."""
    if isinstance(value, dict):
        return {k: tag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tag(v) for v in value]
    if isinstance(value, bool):
        return {"type": "bool", "value": "true" if value else "false"}
    if isinstance(value, int):
        return {"type": "integer", "value": str(value)}
    if isinstance(value, float):
        text = "nan" if math.isnan(value) else ("inf" if value == math.inf else "-inf" if value == -math.inf else repr(value))
        return {"type": "float", "value": text}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return {"type": "datetime", "value": ""}
    raise TypeError(type(value))


def out_of_int64(value):
    if isinstance(value, dict):
        return any(out_of_int64(v) for v in value.values())
    if isinstance(value, list):
        return any(out_of_int64(v) for v in value)
    return isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63


def verdict(text):
    try:
        value = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {"toml": text, "valid": False}
    if out_of_int64(value):
        # The spec: an integer that cannot be represented losslessly (64-bit) must be an error; tomllib's are unbounded.
        return {"toml": text, "valid": False, "note": "integer outside 64 bits (tomllib accepts it; the spec says error)"}
    return {"toml": text, "valid": True, "value": tag(value)}


def mutations(count, seed=20261130):
    rng = random.Random(seed)
    alphabet = list('[]{}=,."\'#\\\n \t_-+:.0123456789abcdefxoeEnitruZ') + ["\r\n", "é", "\u00a0"]
    out = []
    while len(out) < count:
        text = rng.choice([v for v in VALID if v])
        for _ in range(rng.randint(1, 3)):
            p = rng.randrange(len(text) + 1)
            op = rng.randrange(3)
            if op == 0:
                text = text[:p] + rng.choice(alphabet) + text[p:]
            elif op == 1 and p < len(text):
                text = text[:p] + text[p + 1:]
            elif p < len(text):
                text = text[:p] + rng.choice(alphabet) + text[p + 1:]
        out.append(text)
    return out


def main(path):
    cases = [verdict(t) for t in VALID] + [verdict(t) for t in INVALID]
    for case, expected in zip(cases, [True] * len(VALID) + [False] * len(INVALID)):
        if case["valid"] != expected:
            raise SystemExit(f"tomllib disagrees with the hand-written verdict on {case['toml']!r}")
    cases += [verdict(t) for t in mutations(3000)]
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"generator": f"tomllib (Python {sys.version.split()[0]})", "cases": cases}, f, ensure_ascii=False, indent=0)
    print(f"{path}: {len(cases)} cases, {sum(c['valid'] for c in cases)} valid")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/TOMLTests/Fixtures/tomllib_cases.json")
