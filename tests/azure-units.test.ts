import { clientSecretEndDate } from "../components/azure/application";
import { roleAssignmentGuid } from "../components/azure/roleAssignment";
import { checkSignedInTarget, deployerPrincipalType } from "../components/azure/signedInIdentity";

describe("clientSecretEndDate", () => {
  test.each([
    ["2026-11-28", 180, "2027-05-27T00:00:00Z"],
    ["2024-02-29", 1, "2024-03-01T00:00:00Z"],
    ["2026-01-01", 730, "2028-01-01T00:00:00Z"],
  ])("a secret starting %s for %i days ends %s", (start, days, end) => {
    expect(clientSecretEndDate(start, days)).toBe(end);
  });

  test("the same start date and lifetime always give the same end date", () => {
    expect(clientSecretEndDate("2026-11-28", 90)).toBe(clientSecretEndDate("2026-11-28", 90));
  });
});

describe("roleAssignmentGuid", () => {
  const scope = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";

  test("is a version-5-shaped GUID, as role assignment names must be", () => {
    expect(roleAssignmentGuid(scope, "principal", "role")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("is stable for the same scope, principal and role, whatever the scope's case", () => {
    expect(roleAssignmentGuid(scope, "principal", "role")).toBe(roleAssignmentGuid(scope.toUpperCase(), "principal", "role"));
  });

  test("differs when the scope, the principal or the role differs", () => {
    const base = roleAssignmentGuid(scope, "principal", "role");
    expect(new Set([base, roleAssignmentGuid(`${scope}/keys/k`, "principal", "role"), roleAssignmentGuid(scope, "other", "role"), roleAssignmentGuid(scope, "principal", "other")]).size).toBe(4);
  });
});

describe("checkSignedInTarget", () => {
  const signedIn = {
    tenantId: "11111111-1111-4111-8111-111111111111",
    subscriptionId: "22222222-2222-4222-8222-222222222222",
    objectId: "33333333-3333-4333-8333-333333333333",
  };

  test("accepts the signed-in tenant and subscription, in any case, or none named", () => {
    expect(() => checkSignedInTarget(signedIn, { tenantId: signedIn.tenantId.toUpperCase(), subscriptionId: signedIn.subscriptionId })).not.toThrow();
    expect(() => checkSignedInTarget(signedIn, {})).not.toThrow();
  });

  test("a different subscription names both and the az account set fix", () => {
    expect(() => checkSignedInTarget(signedIn, { subscriptionId: "99999999-9999-4999-8999-999999999999" })).toThrow(
      "azureSubscriptionId is 99999999-9999-4999-8999-999999999999 but the selected subscription is 22222222-2222-4222-8222-222222222222. Run `az account set --subscription 99999999-9999-4999-8999-999999999999`",
    );
  });
});

describe("deployerPrincipalType", () => {
  test.each([
    ["the Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "User"],
    ["Azure PowerShell", "1950A258-227B-4E31-A9CF-717495945FC2", "User"],
    ["a pipeline's own application", "44444444-4444-4444-8444-444444444444", "ServicePrincipal"],
  ])("auto: a token from %s belongs to a %s", (_client, clientId, expected) => {
    expect(deployerPrincipalType(clientId, "auto")).toBe(expected);
  });

  test("a configured type wins over the client it signed in with", () => {
    expect(deployerPrincipalType("04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Group")).toBe("Group");
  });
});
