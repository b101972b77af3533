import { useI18n } from "../lib/i18n";

export interface RiskFactor {
  key: string;
  points: number;
  max: number;
  value: number | null;
}

/** A risk score (0–100) coloured by band: 60 and over is high (RISK_HIGH_SCORE), 30 and over medium. */
export function RiskScore({ score }: { score: number }) {
  return <span className={`risk risk-${score >= 60 ? "high" : score >= 30 ? "mid" : "low"}`}>{score}</span>;
}

export function RiskFactors({ factors, max }: { factors: RiskFactor[]; max?: number }) {
  const { tOr, f } = useI18n();
  const shown = factors.filter((x) => x.points > 0).slice(0, max ?? 99);
  return <>{shown.map((x) => `${tOr(`risk.${x.key}`, x.key)} +${f.number(x.points, 0)}`).join(" · ")}</>;
}
