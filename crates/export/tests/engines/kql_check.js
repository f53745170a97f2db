// Checks a KQL query with Microsoft's Kusto language service (npm @kusto/language-service-next)
// against a declared schema: parse, name and type errors.
//
// usage: node kql_check.js SCHEMA.json QUERY.kql
// SCHEMA.json: {"tables": {"Name": "(Column:type, ...)"}}. Prints each diagnostic; exits 1 on any
// error-severity diagnostic, 0 otherwise.
const fs = require('fs');
require('@kusto/language-service-next/bridge.min.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
const K = global.Kusto.Language;
const S = K.Symbols;

const schema = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const query = fs.readFileSync(process.argv[3], 'utf8');
const tables = Object.entries(schema.tables).map(
  ([name, columns]) => new S.TableSymbol.$ctor7(name, columns, null));
const db = new S.DatabaseSymbol.$ctor2('mde', null, tables);
const globals = K.GlobalState.Default.WithDatabase(db);
const code = K.KustoCode.ParseAndAnalyze(query, globals);
const diags = code.GetDiagnostics();
let errors = 0;
for (let i = 0; i < diags.Count; i++) {
  const d = diags.getItem(i);
  const line = query.slice(0, d.Start).split('\n').length;
  console.log(`${d.Severity} ${d.Code} line ${line}: ${d.Message}`);
  if (d.Severity === 'Error') errors++;
}
console.log(`${diags.Count} diagnostics, ${errors} errors`);
process.exit(errors > 0 ? 1 : 0);
