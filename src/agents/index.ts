export { createAgent } from './factory.js';
export type { Agent, AgentBudget, AgentResult, AgentRunInput, StopReason } from './types.js';
