// Writes rabbit-js.json: random strings over Zawgyi and Unicode Burmese code
// points, each with the output of Rabbit's own JavaScript semantics
// (s.replace(new RegExp(from, "g"), to) for every rule, in order). The
// converter's tests compare against it, so the RE2 translation of the rules
// is checked against a real JavaScript engine. Regenerate with
//   node testdata/gen-rabbit-js.js > testdata/rabbit-js.json
// from the package directory.
const fs = require('fs');
const rules = JSON.parse(fs.readFileSync(__dirname + '/../rules/rabbit-zg2uni.json', 'utf8'))
  .map(r => [new RegExp(r.from, 'g'), r.to]);
const alphabet = Array.from(
  '\u1000\u1004\u1010\u1014\u1019\u101b\u101d\u1021\u1025\u1040\u1041\u1047' +
  '\u102b\u102c\u102d\u102e\u102f\u1030\u1031\u1032\u1033\u1034\u1036\u1037' +
  '\u1038\u1039\u103a\u103b\u103c\u103d\u103e\u105a\u1060\u1064\u1066\u106a' +
  '\u1071\u107e\u1087\u1088\u108a\u108b\u108d\u108f\u1090\u1094\u1095\u104a' +
  '\u104e\u200b /\na');
let seed = 20260810;
const rand = n => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const cases = [];
for (let i = 0; i < 2000; i++) {
  let s = '';
  for (let n = 1 + rand(10); n > 0; n--) s += alphabet[rand(alphabet.length)];
  let out = s;
  for (const [re, to] of rules) out = out.replace(re, to);
  cases.push({in: s, out: out});
}
process.stdout.write(JSON.stringify(cases, null, 0).replace(/},{/g, '},\n{') + '\n');
