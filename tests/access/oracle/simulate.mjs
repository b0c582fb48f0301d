// Oracle for tests/access/test_oracle.py: reads a JSON array of cases on stdin, runs each through
// @cloud-copilot/iam-simulate (AGPL-3.0-or-later; used only as a separate test process) and prints
// a JSON array of decisions on stdout, one per case, in order.
//
// case:     {principal, action, resource, resourceAccount, context, resourcePolicy|null,
//            identityPolicies: [{name, policy}]}
// decision: {result: "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"|null, error: string|null,
//            deciding: [{policy: "resource"|<identity policy name>, sid: string|null, index: number}],
//            ignoredContextKeys: [...]}
import { runSimulation } from '@cloud-copilot/iam-simulate'

function statements(list, policy) {
  return list.map((s) => ({ policy, sid: s.statement.sid() ?? null, index: s.statement.index() }))
}

function deciding(analysis) {
  const idn = analysis.identityAnalysis
  const res = analysis.resourceAnalysis
  const out = []
  if (analysis.result === 'ExplicitlyDenied') {
    if (res) out.push(...statements(res.denyStatements, 'resource'))
    if (idn) for (const s of idn.denyStatements) out.push(...statements([s], s.policyId))
  } else if (analysis.result === 'Allowed') {
    if (res) out.push(...statements(res.allowStatements, 'resource'))
    if (idn) for (const s of idn.allowStatements) out.push(...statements([s], s.policyId))
  }
  return out
}

async function one(c) {
  const simulation = {
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resourceAccount },
      contextVariables: c.context ?? {}
    },
    identityPolicies: c.identityPolicies ?? [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: c.resourcePolicy ?? undefined
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { result: null, error: JSON.stringify(response.errors), deciding: [], ignoredContextKeys: [] }
  }
  if (response.resultType !== 'single') {
    return { result: response.overallResult, error: 'wildcard resource: ' + response.resultType, deciding: [], ignoredContextKeys: [] }
  }
  return {
    result: response.overallResult,
    error: null,
    deciding: deciding(response.result.analysis),
    ignoredContextKeys: response.result.ignoredContextKeys ?? []
  }
}

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const results = []
for (const c of cases) results.push(await one(c))
process.stdout.write(JSON.stringify(results) + '\n')
