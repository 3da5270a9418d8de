// The "Context vectors" dock: the ContextView of the selected step above the table of how c_i
// is made (ContributionsModel). Both follow a ResultSelection.
#pragma once

#include <QDockWidget>

class QTableView;

namespace attnviz {

class ContextView;
class ContributionsModel;
class ResultSelection;

class ContextDock : public QDockWidget
{
    Q_OBJECT
public:
    explicit ContextDock(ResultSelection *selection, QWidget *parent = nullptr);

    ContextView *contextView() const { return m_contextView; }
    QTableView *contributionsView() const { return m_contributions; }
    ContributionsModel *contributionsModel() const { return m_model; }

private:
    ContextView *m_contextView;
    ContributionsModel *m_model;
    QTableView *m_contributions;
};

} // namespace attnviz
