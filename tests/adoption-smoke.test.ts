import { runProgram } from "./support/program";
import { ADOPT_CONFIG, manualAzureCloud } from "./support/manual-azure";
import { redactSecrets } from "../tools/mock-runtime";
test("smoke", async () => {
  const result = await runProgram(ADOPT_CONFIG, { cloud: manualAzureCloud() });
  for (const r of result.resources) console.log(r.type, r.name, r.importId, r.protect, JSON.stringify(redactSecrets(r.rawInputs)).slice(0, 300));
  console.log(JSON.stringify(result.outputs));
});
