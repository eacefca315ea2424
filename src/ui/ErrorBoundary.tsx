/** A rendering failure shows what happened and a way back, never a blank page. */
import { Component, type ErrorInfo, type ReactNode } from "react";

interface State {
  readonly error: Error | null;
}

/** Props: the children to guard, and what to do on "Try again". */
export class ErrorBoundary extends Component<{ children: ReactNode; onReset?: () => void }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.warn("tagflow: a view failed to render", error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <div className="crash" role="alert">
        <h2>Something went wrong drawing this view.</h2>
        <p>
          <code>{this.state.error.message}</code>
        </p>
        <button
          type="button"
          className="btn"
          onClick={() => {
            this.props.onReset?.();
            this.setState({ error: null });
          }}
        >
          Try again
        </button>
      </div>
    );
  }
}
