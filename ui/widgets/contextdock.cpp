#include "contextdock.h"

#include "contextview.h"
#include "contributionsmodel.h"

#include <QHeaderView>
#include <QSplitter>
#include <QTableView>

namespace attnviz {

ContextDock::ContextDock(ResultSelection *selection, QWidget *parent)
    : QDockWidget(tr("Context vectors"), parent)
    , m_contextView(new ContextView(selection, this))
    , m_model(new ContributionsModel(selection, this))
    , m_contributions(new QTableView(this))
{
    setObjectName(QStringLiteral("contextDock"));
    m_contextView->setObjectName(QStringLiteral("contextView"));
    // How c_i is made: each source word's part a_ij h_j, its size and its direction.
    m_model->setBarColor(palette().color(QPalette::Highlight));
    m_contributions->setObjectName(QStringLiteral("contributions"));
    m_contributions->setModel(m_model);
    m_contributions->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_contributions->verticalHeader()->setVisible(false);
    m_contributions->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_contributions->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_contributions->setToolTip(
        tr("cᵢ = Σⱼ αᵢⱼ hⱼ: how much each source word adds to the context "
           "of the selected step, and how far it points the same way"));
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_contextView);
    splitter->addWidget(m_contributions);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    setWidget(splitter);
}

} // namespace attnviz
